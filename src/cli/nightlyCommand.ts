/**
 * `mmubench nightly`: the job `npm run nightly` runs.
 *
 * 1. Options and the baseline (`--baseline DIR`) are checked before any work.
 * 2. The matrix of bench/nightly.json is replayed over its trace folder and
 *    the quick benchmark runs (samples into run.json `benchmarks`).
 * 3. `reports/<timestamp>/` is written atomically, its trend chart fed by
 *    the last runs of reports/history.jsonl.
 * 4. The run is compared with the baseline (`--baseline`, else the previous
 *    report folder); compare.md and compare.html go into the new folder.
 * 5. One summary line is appended to reports/history.jsonl.
 * 6. Exit 1 when a cell failed or the comparison found a regression.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, EXIT_OK } from '../errors.js';
import { DEFAULTS } from '../defaults.js';
import { runCommand } from './runCommand.js';
import type { RawMatrixOptions } from '../replay/parseMatrix.js';
import { printComparison } from './compareCommand.js';
import type { RunModel } from '../report/runJson.js';
import { appendHistory, historyEntry, readHistory, trendWindow, HISTORY_FILE, type HistoryEntry } from '../report/history.js';
import { parseCompareOptions, type RawCompareOptions } from '../report/compare/compareOptions.js';
import { compareRuns } from '../report/compare/compareRuns.js';
import { readReportRun } from '../report/compare/readReportRun.js';
import { writeCompare } from '../report/compare/writeCompare.js';
import { quickBench } from '../replay/quickBench.js';
import type { Seams } from './seams.js';

/** bench/nightly.json: which traces, which matrix (each value a comma list, as on the command line). */
export interface NightlyConfig {
  traceDir: string;
  matrix: RawMatrixOptions;
}

/** The options of `nightly`, as commander hands them over. */
export interface NightlyCommandOptions extends RawCompareOptions {
  config?: string;
  reports?: string;
  threads?: string;
  quiet?: boolean;
  /** Report folder to compare with instead of the previous run. */
  baseline?: string;
  /** Quick-benchmark time per task, ms; 0 skips the benchmark. */
  benchTime?: string;
  /** Workers and quick-benchmark engine to use instead of the real ones (tests: test/helpers/testCli.mjs). */
  seams?: Seams;
}

const MATRIX_KEYS = ['arch', 'maxLevel', 'backing', 'prefault', 'tlbEntries', 'tlbWays', 'guestLevels', 'memslot'];

/** Read and check bench/nightly.json (or `--config`). */
export async function loadNightlyConfig(path: string): Promise<NightlyConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path}: ${(error as Error).message}`);
  }
  const config = parsed as Partial<NightlyConfig>;
  if (typeof config !== 'object' || config === null || typeof config.traceDir !== 'string') {
    throw new InputError(`${path}: expected {"traceDir": "...", "matrix": {...}}`);
  }
  const matrix = config.matrix ?? {};
  for (const key of Object.keys(matrix)) {
    if (!MATRIX_KEYS.includes(key)) throw new InputError(`${path}: matrix.${key} is not one of ${MATRIX_KEYS.join(', ')}`);
  }
  return { traceDir: config.traceDir, matrix };
}

/** `2026-11-23T10-15-00Z`: sortable and safe in a file name. */
export function reportStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

/** Report folder names nightly creates: a stamp, `-2`, `-3`... when one second saw several runs. */
const REPORT_NAME = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ(-\d+)?$/;

/** Orders report names by time (`...Z` < `...Z-2` < `...Z-10`). */
function compareReportNames(a: string, b: string): number {
  const split = (name: string): [string, number] => {
    const dash = name.indexOf('Z-');
    return dash < 0 ? [name.replace(/Z$/, ''), 1] : [name.slice(0, dash), Number(name.slice(dash + 2))];
  };
  const [stampA, nA] = split(a);
  const [stampB, nB] = split(b);
  return stampA === stampB ? nA - nB : stampA < stampB ? -1 : 1;
}

/** A folder name in `reportsDir` for a run started at `date` that is not taken yet. */
async function freshReportName(reportsDir: string, date: Date): Promise<string> {
  const stamp = reportStamp(date);
  for (let n = 1; ; n++) {
    const name = n === 1 ? stamp : `${stamp}-${n}`;
    if ((await stat(join(reportsDir, name)).catch(() => undefined)) === undefined) return name;
  }
}

/** `--bench-time`: an integer number of ms from 0 to 60000. */
function parseBenchTime(text: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) > 60_000) throw new InputError(`--bench-time: "${text}" is not an integer number of ms from 0 to 60000`);
  return Number(text);
}

/**
 * The previous run: the newest report folder older than `current`, among the
 * reports history.jsonl names and the folders named like reports, whose
 * run.json reads (unreadable ones are skipped with a warning).
 */
export async function findPreviousReport(
  reportsDir: string,
  history: readonly HistoryEntry[],
  current: string,
  warn: (message: string) => void,
): Promise<{ name: string; run: RunModel } | undefined> {
  const folders = await readdir(reportsDir).catch(() => [] as string[]);
  const names = [...new Set([...history.map((e) => e.report), ...folders.filter((f) => REPORT_NAME.test(f))])]
    .filter((name) => REPORT_NAME.test(name) && compareReportNames(name, current) < 0)
    .sort(compareReportNames)
    .reverse();
  for (const name of names) {
    try {
      return { name, run: await readReportRun(join(reportsDir, name)) };
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      warn(`previous report skipped as a baseline: ${error.message}`);
    }
  }
  return undefined;
}

/** Run the nightly job; returns the exit code. */
export async function nightlyCommand(options: NightlyCommandOptions): Promise<number> {
  const warn = (message: string): void => void process.stderr.write(`mmubench: warning: ${message}\n`);
  const say = (text: string): void => void (options.quiet ? undefined : process.stdout.write(text));
  // 1. Options, the configuration, the traces, an explicit baseline: all before any replay.
  const compareOptions = parseCompareOptions(options);
  const benchTimeMs = parseBenchTime(options.benchTime ?? DEFAULTS.benchTimeMs);
  const configPath = options.config ?? DEFAULTS.nightlyConfig;
  const config = await loadNightlyConfig(configPath);
  let files: string[];
  try {
    files = (await readdir(config.traceDir)).filter((f) => f.endsWith('.csv')).sort();
  } catch (error) {
    throw new InputError(`${configPath}: traceDir ${config.traceDir}: ${(error as Error).message}`);
  }
  if (files.length === 0) throw new InputError(`${configPath}: no .csv traces in ${config.traceDir}`);
  const explicitBaseline = options.baseline === undefined ? undefined : { name: options.baseline, run: await readReportRun(options.baseline) };
  const reportsDir = options.reports ?? DEFAULTS.reportsDir;
  const historyPath = join(reportsDir, HISTORY_FILE);
  const history = await readHistory(historyPath);
  for (const warning of history.warnings) warn(warning);
  const name = await freshReportName(reportsDir, new Date());
  const out = join(reportsDir, name);
  // 2-3. Replay, quick benchmark, report (runCommand writes it after `beforeWrite`).
  let finished: { run: RunModel; entry: HistoryEntry } | undefined;
  const runCode = await runCommand(
    files.map((f) => join(config.traceDir, f)),
    {
      ...config.matrix,
      out,
      threads: options.threads,
      quiet: options.quiet,
      seams: options.seams,
      beforeWrite: async (run) => {
        if (benchTimeMs > 0) run.benchmarks = await quickBench({ timeMs: benchTimeMs, replay: options.seams?.benchReplay });
        const entry = historyEntry(name, run);
        finished = { run, entry };
        return { history: trendWindow(history.entries, entry, DEFAULTS.trendRuns) };
      },
    },
  );
  if (finished === undefined) return runCode; // interrupted: no report, no history line
  const { run, entry } = finished;
  // 4. The comparison.
  const baseline = explicitBaseline ?? (await findPreviousReport(reportsDir, history.entries, name, warn));
  let compareCode = EXIT_OK;
  if (baseline === undefined) {
    say(`mmubench: no baseline (no earlier report in ${reportsDir}): nothing to compare, this run is the first\n`);
  } else {
    const comparison = compareRuns(baseline.run, run, compareOptions, { base: baseline.name, current: name });
    const written = await writeCompare(out, comparison);
    if (!options.quiet) printComparison(comparison, written, (text) => process.stdout.write(text));
    entry.compare = {
      baseline: baseline.name,
      regressions: comparison.summary.countRegressions + comparison.summary.timingRegressions,
      improvements: comparison.summary.countImprovements + comparison.summary.timingImprovements,
      exitCode: comparison.exitCode,
    };
    compareCode = comparison.exitCode;
  }
  // 5. History, appended once the report and its comparison are in place.
  await appendHistory(historyPath, entry);
  // 6. A failed cell or a regression fails the nightly.
  return Math.max(runCode, compareCode);
}
