/**
 * Writes validation.csv, validation.md and validation.html to a folder
 * atomically: a temporary sibling folder renamed into place at the end
 * (src/atomicFolder.ts).
 */
import { writeFolderAtomically } from '../atomicFolder.js';
import { validationToCsv } from './validationCsv.js';
import { validationToHtml } from './validationHtml.js';
import { validationToMarkdown } from './validationMarkdown.js';
import type { ValidationReport } from './validationReport.js';

/** File names in a validation folder. */
export const VALIDATION_FILES = { csv: 'validation.csv', markdown: 'validation.md', html: 'validation.html' } as const;

/** Write `report` to `outDir` (checked by the command with `checkOutputPath` first; replaced only with `force`). */
export async function writeValidation(outDir: string, report: ValidationReport, force: boolean): Promise<void> {
  await writeFolderAtomically(outDir, { name: 'exact', force }, async (write) => {
    await write.file(VALIDATION_FILES.csv, validationToCsv(report));
    await write.file(VALIDATION_FILES.markdown, validationToMarkdown(report));
    await write.file(VALIDATION_FILES.html, validationToHtml(report));
  });
}
