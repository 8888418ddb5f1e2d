/**
 * The one place that decides the report folder's files and names, and writes
 * them atomically: everything goes to a temporary sibling folder that is
 * renamed into place at the end, so no reader ever sees half a report.
 */
import { mkdir, rename, rm, writeFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../cli/errors.js';
import { resultsToCsv } from './resultsCsv.js';
import { runToJson, type RunModel } from './runJson.js';
import { prefaultFaultsChart } from './charts/prefaultFaultsChart.js';
import type { CellResult } from './results.js';

/** File names inside a report folder. */
export const REPORT_FILES = {
  results: 'results.csv',
  run: 'run.json',
  chartsDir: 'charts',
  prefaultChart: 'charts/faults-prefault.png',
} as const;

export interface WriteReportOptions {
  /** Replace an existing folder. */
  force: boolean;
}

/** Refuse an existing `--out` before any work is done (unless forced). */
export async function checkOutDir(outDir: string, options: WriteReportOptions): Promise<void> {
  const existing = await stat(outDir).catch(() => undefined);
  if (existing && !options.force) throw new InputError(`--out: ${outDir} already exists (choose a new folder, or --force to replace it)`);
  if (existing && !existing.isDirectory()) throw new InputError(`--out: ${outDir} exists and is not a folder`);
}

/** Write the report for `run` to `outDir`. */
export async function writeReport(outDir: string, run: RunModel, options: WriteReportOptions): Promise<void> {
  const target = resolve(outDir);
  await checkOutDir(target, options);
  await mkdir(dirname(target), { recursive: true });
  const temp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  try {
    await mkdir(join(temp, REPORT_FILES.chartsDir), { recursive: true });
    const results: CellResult[] = run.outcomes.flatMap((o) => (o.ok ? [o.result] : []));
    await writeFile(join(temp, REPORT_FILES.results), resultsToCsv(results));
    await writeFile(join(temp, REPORT_FILES.run), runToJson(run));
    // Charts load node-canvas: only here, on the main thread, and only when needed.
    const { renderChartPng } = await import('./charts/renderChart.js');
    await writeFile(join(temp, REPORT_FILES.prefaultChart), await renderChartPng(prefaultFaultsChart(results)));
    if (options.force) await rm(target, { recursive: true, force: true });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}
