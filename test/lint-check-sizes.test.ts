/**
 * scripts/check-sizes.mjs, the size limits of `npm run lint`: a file in src/
 * over 400 lines and a function over 80 are each named on one line, with
 * their length, and the exit code is 1; at the limits exactly, nothing is
 * reported and the exit code is 0.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from './helpers/runCli.js';

const SCRIPT = join(REPO_ROOT, 'scripts', 'check-sizes.mjs');

/** A function of exactly `lines` lines (its first line to its closing brace). */
function functionOf(name: string, lines: number): string {
  const body = Array.from({ length: lines - 3 }, (_, i) => `  const v${i} = ${i};`);
  return [`export function ${name}(): number {`, ...body, '  return 0;', '}'].join('\n');
}

/** Run the script on a root whose src/ holds `files` (path -> text). */
function checkSizes(files: Record<string, string>) {
  const root = tempDir();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, 'src', path, '..'), { recursive: true });
    writeFileSync(join(root, 'src', path), text);
  }
  return spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });
}

describe('check-sizes', () => {
  it('names a 401-line file and an 81-line function, exit 1', () => {
    // big.ts: 400 lines of `const`, then one more, each ending in \n: 401 lines.
    const big = `${Array.from({ length: 401 }, (_, i) => `export const c${i} = ${i};`).join('\n')}\n`;
    // long.ts: line 1 a comment, the function from line 2 to line 82: 81 lines.
    const long = `// one\n${functionOf('tooLong', 81)}\n`;
    const result = checkSizes({ 'a/big.ts': big, 'b/long.ts': long, 'c/fine.ts': `${functionOf('justRight', 80)}\n` });
    expect(result.status).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      'check-sizes: src/a/big.ts: 401 lines, over 400: split it by idea (one idea per file)',
      'check-sizes: src/b/long.ts:2: tooLong is 81 lines, over 80: split it into named steps',
      'check-sizes: 2 over the size limits (files 400 lines, functions 80)',
      '',
    ]);
  });

  it('at the limits exactly (a 400-line file, an 80-line function) reports nothing, exit 0', () => {
    const atLimit = `${functionOf('eighty', 80)}\n${Array.from({ length: 320 }, (_, i) => `export const c${i} = ${i};`).join('\n')}\n`;
    const result = checkSizes({ 'x.ts': atLimit });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
