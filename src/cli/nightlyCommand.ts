/**
 * `mmubench nightly`: the job `npm run nightly` runs.
 *
 * 1. Options and the baseline (`--baseline DIR`) are checked before any work.
 * 2. The matrix of bench/nightly.json is replayed over its trace folder and
 *    the quick benchmark runs (samples into run.json `benchmarks`).
 * 3. `reports/<timestamp>/` is written atomically, its trend chart fed by
 *    the last runs of reports/history.jsonl; when concurrent runs of the
 *    same second took that name, `<timestamp>-2`, `-3`... (claimed by the
 *    rename that publishes the complete folder: src/atomicFolder.ts).
 * 4. The run is compared with the baseline (`--baseline`, else the previous
 *    report folder); compare.md and compare.html go into the new folder.
 * 5. One summary line is appended to reports/history.jsonl.
 * 6. Exit 1 when a cell failed or the comparison found a regression.
 */
import { readFile, readdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { basename, join } from 'node:path';
import { InputError, IoError, EXIT_OK, systemCause } from '../errors.js';
import { DEFAULTS } from '../defaults.js';
import { runReport } from './runCommand.js';
import { checkOutputPath } from '../outputPath.js';
import { parseMatrix, parseMemslots, type RawMatrixOptions } from '../replay/parseMatrix.js';
import { validateLayout } from '../replay/validateLayout.js';
import { addCompareFlags, printComparison } from './compareCommand.js';
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
  /** `--costs FILE`, as for run. */
  costs?: string;
  /** false: `--no-tlb-reach`, as for run. */
  tlbReach?: boolean;
}

const MATRIX_KEYS = ['arch', 'maxLevel', 'backing', 'prefault', 'tlbEntries', 'tlbWays', 'guestLevels', 'memslot'];
const TOP_KEYS = ['traceDir', 'matrix'];

/** `--max-level` -> `maxLevel`. */
const camel = (flag: string): string => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Read and check bench/nightly.json (or `--config`): every problem is one line `FILE: key: ...`, exit 2. */
export async function loadNightlyConfig(path: string): Promise<NightlyConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(`${path}: cannot read the nightly configuration: ${systemCause(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: not valid JSON: ${(error as Error).message}`);
  }
  return parseNightlyConfig(path, parsed);
}

/** Check a parsed configuration (`path` labels messages), the matrix validated as `run` would. */
export function parseNightlyConfig(path: string, parsed: unknown): NightlyConfig {
  const fail = (where: string, message: string): never => {
    throw new InputError(`${path}: ${where}: ${message}`);
  };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail('top level', 'expected {"traceDir": "...", "matrix": {...}}');
  const config = parsed as Record<string, unknown>;
  for (const key of Object.keys(config)) if (!TOP_KEYS.includes(key)) fail(key, `unknown key (expected ${TOP_KEYS.join(', ')})`);
  if (typeof config.traceDir !== 'string' || config.traceDir === '') fail('traceDir', 'expected the folder of the .csv traces, as a string');
  const rawMatrix = config.matrix ?? {};
  if (typeof rawMatrix !== 'object' || rawMatrix === null || Array.isArray(rawMatrix))
    fail('matrix', 'expected an object of matrix flags, e.g. {"backing": "4k,2m"}');
  const matrix: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(rawMatrix as Record<string, unknown>)) {
    if (!MATRIX_KEYS.includes(key)) fail(`matrix.${key}`, `not one of ${MATRIX_KEYS.join(', ')}`);
    if (key === 'memslot') {
      const slots = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(slots) || !slots.every((v) => typeof v === 'string')) fail('matrix.memslot', 'expected "GPA:SIZE" or a list of them');
      matrix.memslot = slots as string[];
    } else {
      if (typeof value !== 'string') fail(`matrix.${key}`, 'expected a comma list in a string, e.g. "4k,2m"');
      matrix[key] = value as string;
    }
  }
  // The values, as `run` checks them; a flag's message is relocated to its key.
  try {
    const scenarios = parseMatrix(matrix);
    const memslots = parseMemslots((matrix.memslot as string[] | undefined) ?? []).map((slot, index) => ({
      ...slot,
      source: `${path}: matrix.memslot[${index}]`,
    }));
    // A layout an arch refuses (a slot reaching a stolen bit...), located at its slot.
    validateLayout(scenarios, { memslots, defaultSlotAlignBytes: DEFAULTS.defaultSlotAlignBytes });
  } catch (error) {
    if (!(error instanceof InputError) || error.message.startsWith(`${path}: `)) throw error;
    const flag = /^(--[a-z-]+): /.exec(error.message);
    if (flag !== null && MATRIX_KEYS.includes(camel(flag[1]))) fail(`matrix.${camel(flag[1])}`, error.message.slice(flag[0].length));
    fail('matrix', error.message);
  }
  return { traceDir: config.traceDir as string, matrix: matrix as RawMatrixOptions };
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

/** Step 1: everything checked before any replay. */
async function prepareNightly(options: NightlyCommandOptions, warn: (message: string) => void) {
  const compareOptions = parseCompareOptions(options);
  const benchTimeMs = parseBenchTime(options.benchTime ?? DEFAULTS.benchTimeMs);
  const configPath = options.config ?? DEFAULTS.nightlyConfig;
  const config = await loadNightlyConfig(configPath);
  let files: string[];
  try {
    files = (await readdir(config.traceDir)).filter((f) => f.endsWith('.csv') || f.endsWith('.mtr')).sort();
  } catch (error) {
    throw new InputError(`${configPath}: traceDir ${config.traceDir}: ${systemCause(error)}`);
  }
  if (files.length === 0) throw new InputError(`${configPath}: no .csv or .mtr traces in ${config.traceDir}`);
  // A trace NAME.csv or NAME.mtr with NAME.vm.json beside it replays in that layout (e.g. a recorded boot).
  const names = new Set(await readdir(config.traceDir));
  const traceLayouts = new Map<string, string>();
  for (const f of files) {
    const layoutName = f.replace(/\.(csv|mtr)$/, '.vm.json');
    if (names.has(layoutName)) traceLayouts.set(join(config.traceDir, f), join(config.traceDir, layoutName));
  }
  const explicitBaseline = options.baseline === undefined ? undefined : { name: options.baseline, run: await readReportRun(options.baseline) };
  const reportsDir = options.reports ?? DEFAULTS.reportsDir;
  await checkOutputPath('--reports', reportsDir, { kind: 'folder' });
  const historyPath = join(reportsDir, HISTORY_FILE);
  const history = await readHistory(historyPath).catch((error: unknown) => {
    throw new InputError(`--reports: ${historyPath}: cannot read the history: ${systemCause(error)}`);
  });
  for (const warning of history.warnings) warn(warning);
  return {
    compareOptions,
    benchTimeMs,
    config,
    traces: files.map((f) => join(config.traceDir, f)),
    traceLayouts,
    explicitBaseline,
    reportsDir,
    historyPath,
    history,
  };
}

/** Run the nightly job; returns the exit code. */
export async function nightlyCommand(options: NightlyCommandOptions): Promise<number> {
  const warn = (message: string): void => void process.stderr.write(`mmubench: warning: ${message}\n`);
  const say = (text: string): void => void (options.quiet ? undefined : process.stdout.write(text));
  // 1. Options, the configuration, the traces, an explicit baseline, the reports folder: all before any replay.
  const { compareOptions, benchTimeMs, config, traces, traceLayouts, explicitBaseline, reportsDir, historyPath, history } = await prepareNightly(options, warn);
  // 2-3. Replay, quick benchmark, report (runReport writes it after `beforeWrite`), named
  // `<stamp>` or, when concurrent runs of the same second took that, `<stamp>-N`.
  const stamp = reportStamp(new Date());
  let entry: HistoryEntry | undefined;
  const outcome = await runReport(traces, {
    ...config.matrix,
    out: join(reportsDir, stamp),
    reportName: 'next-free',
    threads: options.threads,
    quiet: options.quiet,
    seams: options.seams,
    costs: options.costs,
    tlbReach: options.tlbReach,
    traceLayouts,
    beforeWrite: async (run) => {
      if (benchTimeMs > 0) run.benchmarks = await quickBench({ timeMs: benchTimeMs, replay: options.seams?.benchReplay });
      entry = historyEntry(stamp, run);
      return { history: trendWindow(history.entries, entry, DEFAULTS.trendRuns) };
    },
  });
  if (entry === undefined || outcome.outDir === undefined || outcome.run === undefined) return outcome.exitCode; // interrupted: no report, no history line
  const { outDir, run } = outcome;
  const name = basename(outDir);
  entry.report = name;
  // 4. The comparison, with a complete earlier report (report folders only ever appear complete).
  const baseline = explicitBaseline ?? (await findPreviousReport(reportsDir, history.entries, name, warn));
  let compareCode = EXIT_OK;
  if (baseline === undefined) {
    say(`mmubench: no baseline (no earlier report in ${reportsDir}): nothing to compare, this run is the first\n`);
  } else {
    const comparison = compareRuns(baseline.run, run, compareOptions, { base: baseline.name, current: name });
    const written = await writeCompare(outDir, comparison);
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
  await appendHistory(historyPath, entry).catch((error: unknown) => {
    throw error instanceof IoError ? new IoError(`${error.message}; the report ${outDir} is complete but has no history line`) : error;
  });
  // 6. A failed cell or a regression fails the nightly.
  return Math.max(outcome.exitCode, compareCode);
}

/** Register `nightly` on `program` (the compare flags as `compare` has them). */
export function registerNightlyCommand(program: Command, setExit: (code: number) => void, seams: Seams): void {
  addCompareFlags(
    program
      .command('nightly')
      .description(
        'run the nightly matrix (bench/nightly.json) and the quick benchmark into reports/<timestamp>/, append to reports/history.jsonl, compare with the baseline (docs/comparing.md)',
      )
      .option('--config <file>', 'nightly configuration', DEFAULTS.nightlyConfig)
      .option('--reports <dir>', 'folder that receives the report folders and history.jsonl', DEFAULTS.reportsDir)
      .option('--threads <n>', 'worker threads: auto, or 0 for the main thread', 'auto')
      .option('--baseline <dir>', 'report folder to compare with (default: the previous report in --reports)')
      .option('--bench-time <ms>', 'quick-benchmark CPU time per task, ms; 0 skips the benchmark', DEFAULTS.benchTimeMs)
      .option('--costs <file>', 'cost profile for the est_*_ns estimates, as for run [default: built-in]')
      .option('--no-tlb-reach', 'skip the TLB reach curves, as for run'),
  )
    .option('-q, --quiet', 'no progress bar or summary line')
    .action(async (options) => setExit(await nightlyCommand({ ...options, seams })));
}
