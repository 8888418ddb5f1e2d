/**
 * Writes validation.csv, validation.md and validation.html to a folder
 * atomically: a temporary sibling folder renamed into place at the end.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { checkOutDir } from '../report/writeReport.js';
import { validationToCsv } from './validationCsv.js';
import { validationToHtml } from './validationHtml.js';
import { validationToMarkdown } from './validationMarkdown.js';
import type { ValidationReport } from './validationReport.js';

/** File names in a validation folder. */
export const VALIDATION_FILES = { csv: 'validation.csv', markdown: 'validation.md', html: 'validation.html' } as const;

/** Write `report` to `outDir` (refused when it exists, unless `force`). */
export async function writeValidation(outDir: string, report: ValidationReport, force: boolean): Promise<void> {
  const target = resolve(outDir);
  await checkOutDir(target, { force });
  await mkdir(dirname(target), { recursive: true });
  const temp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  try {
    await mkdir(temp);
    await writeFile(join(temp, VALIDATION_FILES.csv), validationToCsv(report));
    await writeFile(join(temp, VALIDATION_FILES.markdown), validationToMarkdown(report));
    await writeFile(join(temp, VALIDATION_FILES.html), validationToHtml(report));
    if (force) await rm(target, { recursive: true, force: true });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}
