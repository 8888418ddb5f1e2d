/**
 * Write compare.md and compare.html into a folder. Each file goes to a
 * temporary name first and is renamed into place, so a reader (or a crash)
 * never sees half a file.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileIoError } from '../../errors.js';
import { tempSibling } from '../../tempNames.js';
import { makeFolders } from '../../outputPath.js';
import type { Comparison } from './compareRuns.js';
import { compareMarkdown } from './compareMarkdown.js';
import { compareHtml } from './compareHtml.js';

/** File names of a comparison, inside `--out` or the nightly's report folder. */
export const COMPARE_FILES = {
  markdown: 'compare.md',
  html: 'compare.html',
} as const;

/**
 * Write both files into `dir` (created when missing); returns their paths. A
 * system error is one `IoError` line naming the file.
 */
export async function writeCompare(dir: string, comparison: Comparison): Promise<string[]> {
  await makeFolders(dir);
  const files: [string, string][] = [
    [COMPARE_FILES.markdown, compareMarkdown(comparison)],
    [COMPARE_FILES.html, compareHtml(comparison)],
  ];
  const written: string[] = [];
  for (const [name, text] of files) {
    const path = join(dir, name);
    const temp = tempSibling(path);
    try {
      await writeFile(temp, text);
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw fileIoError(path, error);
    }
    written.push(path);
  }
  return written;
}
