/**
 * The soak of issue 17: `nightly` run N times in a row (default 50) into one
 * reports folder on the bundled traces (bench/nightly.json), each a real
 * process as cron would start it. It checks that
 *
 * 1. every run exits 0 (`--fail-on counts`: counts are deterministic, a
 *    timing regression on a shared machine is noise here) and leaves no
 *    temporary folder;
 * 2. every run's results.csv is byte-identical to the first one's;
 * 3. peak RSS does not grow with the history behind it (50 lines, 50
 *    folders to search for the baseline, a trend window filling to 30
 *    runs): the least-squares line through runs 3..50 (runs 1 and 2 lack
 *    the trend chart or the comparison) rises by less than 5% of the mean.
 *
 * Peak RSS of each child comes from the bench/childUsage.ts preload (the
 * child's own peak, ownPeakRss.ts, written at exit). MMUBENCH_SOAK_RUNS changes N,
 * MMUBENCH_SOAK_BENCH_TIME the quick-benchmark time per task (ms, default
 * the nightly's own 1000; 0 skips it).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './benchResults.js';
import { CHILD_USAGE_ENV, CHILD_USAGE_PRELOAD, readChildUsage } from './childUsage.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const REPORT = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ(-\d+)?$/;
/** The fitted rise of peak RSS over the soak must stay under this share of its mean (1.05: 5%). */
const RSS_TOLERANCE = 1.05;

interface SoakRun {
  report: string;
  peakRssMb: number;
  seconds: number;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** One nightly into `reports`; returns its report folder's name and peak RSS. */
function nightly(reports: string, rssFile: string, benchTimeMs: string, before: Set<string>): SoakRun {
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    ['--import', CHILD_USAGE_PRELOAD, CLI, 'nightly', '--reports', reports, '--bench-time', benchTimeMs, '--fail-on', 'counts', '-q'],
    { encoding: 'utf8', env: { ...process.env, [CHILD_USAGE_ENV]: rssFile }, timeout: 600_000 },
  );
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`soak: nightly exited ${result.status ?? result.signal}: ${result.stderr}`);
  const names = readdirSync(reports);
  const leftovers = names.filter((name) => name.includes('.tmp-'));
  if (leftovers.length > 0) throw new Error(`soak: temporary entries left: ${leftovers.join(', ')}`);
  const added = names.filter((name) => REPORT.test(name) && !before.has(name));
  if (added.length !== 1) throw new Error(`soak: expected one new report folder, found ${added.join(', ') || 'none'}`);
  before.add(added[0]);
  return { report: added[0], peakRssMb: readChildUsage(rssFile).peakRssMb, seconds };
}

export function soakSuite(dir: string, runs: number, benchTimeMs: string): BenchRow[] {
  const reports = join(dir, 'soak-reports');
  mkdirSync(reports);
  const rssFile = join(dir, 'soak-rss');
  const seen = new Set<string>();
  const results: SoakRun[] = [];
  let firstCsv: string | undefined;
  let identical = 0;
  for (let i = 0; i < runs; i++) {
    const run = nightly(reports, rssFile, benchTimeMs, seen);
    const csv = readFileSync(join(reports, run.report, 'results.csv'), 'utf8');
    firstCsv ??= csv;
    if (csv === firstCsv) identical++;
    results.push(run);
    process.stderr.write(
      `bench: soak ${i + 1}/${runs}: ${run.report}, peak RSS ${run.peakRssMb.toFixed(1)} MB, ${run.seconds.toFixed(1)} s${csv === firstCsv ? '' : ', results.csv DIFFERS'}\n`,
    );
  }
  const history = readFileSync(join(reports, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).length;
  if (history !== runs) throw new Error(`soak: history.jsonl has ${history} lines for ${runs} runs`);
  // Runs 1 and 2 have no trend chart or no comparison yet: RSS is judged from run 3 on. Peak RSS of
  // identical runs varies by +-15% (GC timing in the main thread and two workers), so growth is
  // the least-squares line through runs 3..N: its rise over the soak must stay under 5% of the
  // mean; the standard error of the slope says how much of it is noise.
  const rss = results.map((r) => r.peakRssMb);
  const judged = rss.slice(Math.min(2, rss.length - 1));
  const fit = lineFit(judged);
  const rise = fit.slope * (judged.length - 1);
  const window = Math.max(1, Math.min(10, Math.floor(runs / 3)));
  const seconds = mean(results.map((r) => r.seconds));
  const label = `${runs} nightlies in a row, bundled traces, --bench-time ${benchTimeMs}`;
  const row = (name: string, value: number, unit: string, target: number): BenchRow => ({
    suite: 'soak',
    name,
    arch: '',
    value,
    unit,
    meanMs: seconds * 1000,
    samples: runs,
    clock: 'wall',
    target,
  });
  return [
    row(`${label}: byte-identical results.csv (runs)`, identical, 'runs', runs),
    row(`${label}: peak RSS, mean of runs 3-${runs}`, mean(judged), 'MB', 0),
    row(
      `${label}: peak RSS, rise of the least-squares line over runs 3-${runs} (target: under ${Math.round((RSS_TOLERANCE - 1) * 100)}% of the mean)`,
      rise,
      'MB',
      mean(judged) * (RSS_TOLERANCE - 1),
    ),
    row(`${label}: peak RSS, slope of that line`, fit.slope, 'MB/run', 0),
    row(`${label}: peak RSS, standard error of the slope`, fit.slopeError, 'MB/run', 0),
    row(`${label}: peak RSS, mean of runs ${window + 1}-${2 * window}`, mean(rss.slice(window, 2 * window)), 'MB', 0),
    row(`${label}: peak RSS, mean of the last ${window}`, mean(rss.slice(-window)), 'MB', 0),
    row(`${label}: peak RSS, lowest run`, Math.min(...rss), 'MB', 0),
    row(`${label}: peak RSS, highest run`, Math.max(...rss), 'MB', 0),
  ];
}

/** Least-squares line of `values` against their index: slope and its standard error. */
function lineFit(values: readonly number[]): { slope: number; slopeError: number } {
  const n = values.length;
  if (n < 3) return { slope: 0, slopeError: 0 };
  const meanX = (n - 1) / 2;
  const meanY = mean(values);
  let sxy = 0;
  let sxx = 0;
  values.forEach((y, x) => {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
  });
  const slope = sxy / sxx;
  const residuals = values.reduce((sum, y, x) => sum + (y - meanY - slope * (x - meanX)) ** 2, 0);
  return { slope, slopeError: Math.sqrt(residuals / (n - 2) / sxx) };
}
