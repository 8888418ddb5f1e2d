/** The README's section of one command, for tests that hold it to the code. */
import { readFileSync } from 'node:fs';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The README section of `mmubench NAME`: its heading line (`### \`mmubench NAME ...\``) up to the next heading; '' when there is none. */
export function readmeSection(name: string): string {
  const lines = README.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`### \`mmubench ${name} `) || line.startsWith(`### \`mmubench ${name}\``));
  if (start < 0) return '';
  const end = lines.findIndex((line, i) => i > start && /^#{2,3} /.test(line));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}
