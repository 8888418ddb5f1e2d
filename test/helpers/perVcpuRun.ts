/** `mmubench run` via the built CLI for the per-vCPU tests: results.csv rows and run.json. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { expect } from 'vitest';
import { runCli, tempDir } from './runCli.js';

/** Columns of the totals row that must not depend on timing (traces without host events). */
export const TIMING_FREE = ['accesses', 'faults_missing', 'pages_4k', 'pages_2m', 'pages_1g', 'mmu_pages', 'pages_shared', 'level_clamps', 'prefault_pages'];

/** One results.csv row by column name. */
export type Row = Record<string, string>;

/** Run `trace` with `--threads THREADS` and the matrix flags into a fresh folder; expects exit 0. */
export function run(
  trace: string,
  threads: string,
  matrix: string[],
): { rows: Row[]; runJson: { threadMode?: string; deterministic?: boolean; cells: { perVcpu?: Record<string, number | boolean> }[] } } {
  const out = join(tempDir(), `report-${threads}`);
  const result = runCli(['run', trace, '--out', out, '-q', '--threads', threads, ...matrix]);
  expect(result.status, result.stderr).toBe(0);
  return {
    rows: parse(readFileSync(join(out, 'results.csv'), 'utf8'), { columns: true }) as Row[],
    runJson: JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')),
  };
}

/** The totals rows (`vcpu` = `all`), in cell order. */
export function totals(rows: Row[]): Row[] {
  return rows.filter((r) => r.vcpu === 'all');
}

/** `row` restricted to `columns`. */
export function pick(row: Row, columns: readonly string[]): Record<string, string> {
  return Object.fromEntries(columns.map((c) => [c, row[c]]));
}
