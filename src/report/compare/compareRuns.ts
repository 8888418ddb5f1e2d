/**
 * The comparison of two runs: every counter of every (trace, scenario) cell
 * and every benchmark task, side by side, each with a verdict. Pure: two run
 * models and the options in, a comparison out; exporters only format it.
 */
import { EXIT_FAILED, EXIT_OK } from '../../errors.js';
import { median } from '../benchmarkStats.js';
import { cellMetric, cellMetricNames, percentChange } from '../metrics.js';
import type { RunModel } from '../runJson.js';
import type { BenchmarkSamples, CellOutcome } from '../../replay/results.js';
import type { CompareOptions } from './compareOptions.js';
import { mannWhitneyU } from './mannWhitneyU.js';
import { metricDirection, type Direction } from './metricDirection.js';

/**
 * What became of one number: `regression` / `improvement` (beyond the
 * thresholds, by the metric's direction), `changed` (a count that changed
 * within the threshold, or a neutral one), `unchanged`, `noise` (a timing
 * change that is not significant or below --min-change), or present on one
 * side only.
 */
export type Verdict = 'regression' | 'improvement' | 'changed' | 'unchanged' | 'noise' | 'only-base' | 'only-current';

/** One counter of one cell. */
export interface CountRow {
  trace: string;
  scenario: string;
  metric: string;
  direction: Direction;
  base?: number;
  current?: number;
  /** current - base, when both exist. */
  delta?: number;
  /** Relative change in %; `undefined` when base is 0 and current is not (or a side is missing). */
  deltaPct?: number;
  verdict: Verdict;
}

/** A cell that cannot be compared counter by counter: absent or failed on a side. */
export interface CellRow {
  trace: string;
  scenario: string;
  base: 'ok' | 'failed' | 'absent';
  current: 'ok' | 'failed' | 'absent';
  /** The failure message of the side(s) that failed. */
  note: string;
  /**
   * `regression` when the cell now fails, `improvement` when it failed before,
   * `changed` when it fails on both sides, `only-*` when one side lacks it.
   */
  verdict: Verdict;
}

/** Summary of one side's samples of a benchmark task. */
export interface TimingSide {
  samples: number;
  medianMs: number;
}

/** One benchmark task. */
export interface TimingRow {
  name: string;
  base?: TimingSide;
  current?: TimingSide;
  /** Change of the median iteration time, %; positive is slower. */
  deltaPct?: number;
  /** Two-sided Mann-Whitney p-value, when both sides have samples. */
  pValue?: number;
  verdict: Verdict;
}

/** How many of each kind. */
export interface CompareSummary {
  countRegressions: number;
  countImprovements: number;
  /** Counts that changed without being a regression or improvement. */
  countChanges: number;
  timingRegressions: number;
  timingImprovements: number;
  /** Cells or tasks present (or successful) on one side only. */
  oneSided: number;
}

/** The full comparison, in the current run's order (base-only items last). */
export interface Comparison {
  base: string;
  current: string;
  options: CompareOptions;
  cells: CellRow[];
  counts: CountRow[];
  timings: TimingRow[];
  summary: CompareSummary;
  /** 0 nothing that `--fail-on` selects regressed, 1 otherwise. */
  exitCode: number;
}

/** Display labels of the two runs (folder names, usually). */
export interface CompareLabels {
  base: string;
  current: string;
}

const cellKey = (o: CellOutcome): string => (o.ok ? `${o.result.trace}\u0000${o.result.scenario.name}` : `${o.trace}\u0000${o.scenario.name}`);

/** Keys of `current` in order, then the keys only `base` has. */
function unionKeys<T>(current: Map<string, T>, base: Map<string, T>): string[] {
  return [...current.keys(), ...[...base.keys()].filter((k) => !current.has(k))];
}

/** Verdict of a count that both sides have. */
export function countVerdict(direction: Direction, base: number, current: number, thresholdPct: number): Verdict {
  if (base === current) return 'unchanged';
  const pct = percentChange(base, current);
  const beyond = pct === undefined || Math.abs(pct) > thresholdPct;
  if (!beyond || direction === 'neutral') return 'changed';
  const worse = direction === 'lower' ? current > base : current < base;
  return worse ? 'regression' : 'improvement';
}

/** Estimates (`est_*_ns`): counts priced by the run's cost profile. */
const ESTIMATE = /^est_.*_ns$/;

/**
 * Compare the counters of one cell present and successful on both sides.
 * `samePrices`: both runs priced their estimates with the same cost profile;
 * when not, an estimate that moved is only `changed` (the prices moved, not
 * necessarily the counts), never a regression.
 */
function compareCell(
  trace: string,
  scenario: string,
  base: CellOutcome & { ok: true },
  current: CellOutcome & { ok: true },
  thresholdPct: number,
  samePrices: boolean,
): CountRow[] {
  const names = [...cellMetricNames(current.result), ...cellMetricNames(base.result).filter((n) => cellMetric(current.result, n) === undefined)];
  return names.map((metric): CountRow => {
    const direction = !samePrices && ESTIMATE.test(metric) ? 'neutral' : metricDirection(metric);
    const b = cellMetric(base.result, metric);
    const c = cellMetric(current.result, metric);
    if (b === undefined) return { trace, scenario, metric, direction, current: c, verdict: 'only-current' };
    if (c === undefined) return { trace, scenario, metric, direction, base: b, verdict: 'only-base' };
    return {
      trace,
      scenario,
      metric,
      direction,
      base: b,
      current: c,
      delta: c - b,
      deltaPct: percentChange(b, c),
      verdict: countVerdict(direction, b, c, thresholdPct),
    };
  });
}

const failure = (o: CellOutcome | undefined): string | undefined => (o !== undefined && !o.ok ? o.error.message : undefined);
const state = (o: CellOutcome | undefined): CellRow['base'] => (o === undefined ? 'absent' : o.ok ? 'ok' : 'failed');

/** The row of a cell that is absent or failed on at least one side. */
function cellRow(trace: string, scenario: string, base: CellOutcome | undefined, current: CellOutcome | undefined): CellRow {
  const b = state(base);
  const c = state(current);
  const notes = [failure(base) && `base: ${failure(base)}`, failure(current) && `current: ${failure(current)}`].filter(Boolean);
  let verdict: Verdict;
  if (b === 'absent') verdict = 'only-current';
  else if (c === 'absent') verdict = 'only-base';
  else if (b === 'ok') verdict = 'regression';
  else verdict = c === 'ok' ? 'improvement' : 'changed';
  return { trace, scenario, base: b, current: c, note: notes.join('; '), verdict };
}

/**
 * Verdict of a timing change: a regression (slower) or improvement only
 * when the U test rejects "same distribution" at `alpha` AND the medians
 * moved by at least `minChangePct` — gbench's compare.py reports the
 * p-value; requiring both keeps tiny but significant drifts from paging.
 */
export function timingVerdict(deltaPct: number, pValue: number, options: Pick<CompareOptions, 'alpha' | 'minChangePct'>): Verdict {
  if (pValue >= options.alpha || Math.abs(deltaPct) < options.minChangePct) return deltaPct === 0 && pValue >= 1 ? 'unchanged' : 'noise';
  return deltaPct > 0 ? 'regression' : 'improvement';
}

/** Compare two benchmark tasks' samples. */
export function compareTiming(name: string, base: BenchmarkSamples | undefined, current: BenchmarkSamples | undefined, options: CompareOptions): TimingRow {
  const side = (b: BenchmarkSamples): TimingSide => ({ samples: b.samplesMs.length, medianMs: median(b.samplesMs) });
  if (base === undefined) return { name, current: side(current!), verdict: 'only-current' };
  if (current === undefined) return { name, base: side(base), verdict: 'only-base' };
  const b = side(base);
  const c = side(current);
  // Time per iteration: a positive change is slower. Medians resist the odd preempted iteration.
  const deltaPct = percentChange(b.medianMs, c.medianMs) ?? Infinity;
  const { pValue } = mannWhitneyU(base.samplesMs, current.samplesMs);
  return { name, base: b, current: c, deltaPct, pValue, verdict: timingVerdict(deltaPct, pValue, options) };
}

/**
 * Compare `current` with `base`.
 *
 * 1. Cells are matched by (trace, scenario name). A cell successful on both
 *    sides gives one row per counter either side has; any other gives a
 *    cell row (a newly failing cell is a count regression).
 * 2. Counts: any change is reported; beyond `countThresholdPct` it is a
 *    regression or improvement by the metric's direction.
 * 3. Benchmark tasks are matched by name and judged by `timingVerdict`.
 * 4. Exit 1 when a regression of a kind `failOn` selects exists.
 */
export function compareRuns(base: RunModel, current: RunModel, options: CompareOptions, labels: CompareLabels): Comparison {
  // 1. Cells, and whether both runs priced their estimates alike.
  const samePrices = JSON.stringify(base.info.costs?.profile) === JSON.stringify(current.info.costs?.profile);
  const baseCells = new Map(base.outcomes.map((o) => [cellKey(o), o]));
  const currentCells = new Map(current.outcomes.map((o) => [cellKey(o), o]));
  const cells: CellRow[] = [];
  const counts: CountRow[] = [];
  for (const key of unionKeys(currentCells, baseCells)) {
    const [trace, scenario] = key.split('\u0000');
    const b = baseCells.get(key);
    const c = currentCells.get(key);
    // 2. Counts of cells successful on both sides.
    if (b?.ok && c?.ok) counts.push(...compareCell(trace, scenario, b, c, options.countThresholdPct, samePrices));
    else cells.push(cellRow(trace, scenario, b, c));
  }
  // 3. Timings.
  const baseBench = new Map((base.benchmarks ?? []).map((b) => [b.name, b]));
  const currentBench = new Map((current.benchmarks ?? []).map((b) => [b.name, b]));
  const timings = unionKeys(currentBench, baseBench).map((name) => compareTiming(name, baseBench.get(name), currentBench.get(name), options));
  // 4. Summary and exit code.
  const countOf = (rows: { verdict: Verdict }[], verdict: Verdict): number => rows.filter((r) => r.verdict === verdict).length;
  const summary: CompareSummary = {
    countRegressions: countOf(counts, 'regression') + countOf(cells, 'regression'),
    countImprovements: countOf(counts, 'improvement') + countOf(cells, 'improvement'),
    countChanges: countOf(counts, 'changed') + countOf(cells, 'changed'),
    timingRegressions: countOf(timings, 'regression'),
    timingImprovements: countOf(timings, 'improvement'),
    oneSided: [...counts, ...cells, ...timings].filter((r) => r.verdict === 'only-base' || r.verdict === 'only-current').length,
  };
  const failed = (options.failOn.counts && summary.countRegressions > 0) || (options.failOn.timings && summary.timingRegressions > 0);
  return { base: labels.base, current: labels.current, options, cells, counts, timings, summary, exitCode: failed ? EXIT_FAILED : EXIT_OK };
}
