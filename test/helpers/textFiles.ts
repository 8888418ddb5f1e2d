/** Numbered CSV files in one temporary folder per test file (the readers take paths, not text). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A folder under the OS temp dir named `mmubench-PREFIX-*`, and a function that writes `text` to a new `tN.csv` in it. */
export function textFiles(prefix: string): { dir: string; file: (text: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), `mmubench-${prefix}-`));
  let counter = 0;
  return {
    dir,
    file: (text) => {
      const path = join(dir, `t${counter++}.csv`);
      writeFileSync(path, text);
      return path;
    },
  };
}
