/**
 * The verdict: per trace, one line per question a reader of the report
 * asks, each naming the best and worst scenario. Shared by summary.md and
 * the first screen of index.html. Pure: results in, lines of text parts out
 * (the exporters format scenario names and escape).
 *
 * Questions, in order:
 * 1. Faults saved by pre-fault: `faults` of prefault=none less those of a
 *    pre-populated variant of the same base scenario: count, %, and the
 *    estimated time (difference of `est_fault_ns`).
 * 2. Pre-fault's up-front cost: `est_prefault_ns` of the pre-populated cell,
 *    the net (saved less cost), and the memory pre-faulted but never touched
 *    (`prefault_pages_unused`, when the cell has the counter).
 * 3. Huge-page coverage at the end of replay.
 * 4. TLB misses, and with a reach curve, the entries where it levels off.
 * 5. Flush collateral: entries full flushes dropped outside their range, and
 *    refill misses.
 * 6. Estimated stage-2 time, `est_stage2_ns`.
 */
import { groupedNumber } from './formatNumbers.js';
import { cellMetric, hugeCoverage } from './metrics.js';
import { distinct, prefaultTable, shortLabels } from './scenarioGroups.js';
import type { CellResult } from '../replay/results.js';

/** Text, or a scenario name (the exporters set names apart). */
export type VerdictPart = { text: string } | { scenario: string };

export interface VerdictLine {
  question: string;
  parts: VerdictPart[];
}

export interface TraceVerdict {
  trace: string;
  lines: VerdictLine[];
}

const t = (text: string): VerdictPart => ({ text });
const ms = (ns: number): string => `${(ns / 1e6).toFixed(ns !== 0 && Math.abs(ns) < 1e5 ? 3 : 1)} ms`;
const pct = (x: number): string => `${x.toFixed(1)}%`;

/** A value of each candidate: the best and worst by `better` (first wins ties), or one when all are equal. */
function bestWorst<T>(items: readonly T[], value: (item: T) => number, better: 'lower' | 'higher'): { best: T; worst: T; same: boolean } {
  let best = items[0];
  let worst = items[0];
  for (const item of items) {
    const v = value(item);
    if (better === 'lower' ? v < value(best) : v > value(best)) best = item;
    if (better === 'lower' ? v > value(worst) : v < value(worst)) worst = item;
  }
  return { best, worst, same: value(best) === value(worst) };
}

/** "best X scenario, worst Y scenario"; "X scenario" for one; "X in every scenario" when all are equal. */
function range<T>(
  items: readonly T[],
  value: (item: T) => number,
  better: 'lower' | 'higher',
  text: (item: T) => string,
  name: (item: T) => string,
  words: [string, string],
): VerdictPart[] {
  const { best, worst, same } = bestWorst(items, value, better);
  if (items.length === 1) return [t(`${text(best)} `), { scenario: name(best) }];
  if (same) return [t(`${text(best)} in every scenario`)];
  return [t(`${words[0]} ${text(best)} `), { scenario: name(best) }, t(`, ${words[1]} ${text(worst)} `), { scenario: name(worst) }];
}

/**
 * The smallest curve size whose misses are within 5% of the largest size's:
 * where adding entries stops paying. `undefined` without a curve.
 */
export function reachKnee(curve: CellResult['tlbReach']): number | undefined {
  if (curve === undefined || curve.entries.length === 0) return undefined;
  const floor = curve.misses[curve.misses.length - 1];
  const i = curve.misses.findIndex((m) => m <= floor * 1.05);
  return curve.entries[i];
}

interface PrefaultPair {
  none: CellResult;
  with: CellResult;
}

/** The verdict of every trace, in cell order. */
export function verdict(results: readonly CellResult[]): TraceVerdict[] {
  const labels = shortLabels(distinct(results.map((c) => c.scenario.name)));
  const name = (cell: CellResult): string => labels.get(cell.scenario.name)!;
  const { rows } = prefaultTable(results);
  return distinct(results.map((c) => c.trace)).map((trace) => {
    const cells = results.filter((c) => c.trace === trace);
    const pairs: PrefaultPair[] = rows
      .filter((r) => r.trace === trace && r.cells.has('none'))
      .flatMap((r) => [...r.cells].filter(([p]) => p !== 'none').map(([, cell]) => ({ none: r.cells.get('none')!, with: cell })));
    return {
      trace,
      lines: [savedLine(pairs, name), costLine(pairs, name), hugeLine(cells, name), tlbLine(cells, name), flushLine(cells, name), timeLine(cells, name)],
    };
  });
}

const metric = (cell: CellResult, key: string): number => cellMetric(cell, key) ?? 0;
const saved = (p: PrefaultPair): number => p.none.total.faults - p.with.total.faults;
const savedNs = (p: PrefaultPair): number => metric(p.none, 'est_fault_ns') - metric(p.with, 'est_fault_ns');
const net = (p: PrefaultPair): number => savedNs(p) - metric(p.with, 'est_prefault_ns');

function savedLine(pairs: readonly PrefaultPair[], name: (c: CellResult) => string): VerdictLine {
  const question = 'Faults saved by pre-fault';
  if (pairs.length === 0) return { question, parts: [t('not measured: the run has no prefault=none cell beside a pre-populated one')] };
  const text = (p: PrefaultPair): string => {
    const share = p.none.total.faults === 0 ? 'n/a' : pct((saved(p) / p.none.total.faults) * 100);
    return `${groupedNumber(saved(p))} of ${groupedNumber(p.none.total.faults)} (${share}, ≈${ms(savedNs(p))})`;
  };
  return { question, parts: range(pairs, saved, 'higher', text, (p) => name(p.with), ['most', 'least']) };
}

function costLine(pairs: readonly PrefaultPair[], name: (c: CellResult) => string): VerdictLine {
  const question = 'Pre-fault up-front cost';
  if (pairs.length === 0) return { question, parts: [t('no pre-populated cell')] };
  const unused = (p: PrefaultPair): string => {
    // `prefault_pages_unused`: 4 KiB frames pre-faulted and never touched afterwards (256 to the MiB); absent in older run.json files.
    const frames = cellMetric(p.with, 'prefault_pages_unused');
    return frames === undefined ? '' : `, ${(frames / 256).toFixed(1)} MiB never touched`;
  };
  const text = (p: PrefaultPair): string =>
    `${ms(metric(p.with, 'est_prefault_ns'))} up front, net ${net(p) >= 0 ? '+' : '−'}${ms(Math.abs(net(p)))}${unused(p)}`;
  return { question, parts: range(pairs, net, 'higher', text, (p) => name(p.with), ['best', 'worst']) };
}

function hugeLine(cells: readonly CellResult[], name: (c: CellResult) => string): VerdictLine {
  const share = (c: CellResult): number => (hugeCoverage([c]) ?? 0) * 100;
  return { question: 'Huge-page coverage', parts: range(cells, share, 'higher', (c) => pct(share(c)), name, ['best', 'worst']) };
}

function tlbLine(cells: readonly CellResult[], name: (c: CellResult) => string): VerdictLine {
  const misses = (c: CellResult): number => c.total.tlb_misses;
  const parts = range(cells, misses, 'lower', (c) => groupedNumber(misses(c)), name, ['fewest', 'most']);
  const { best } = bestWorst(cells, misses, 'lower');
  const knee = reachKnee(best.tlbReach);
  if (knee !== undefined) parts.push(t(`; a fully associative TLB levels off at ${groupedNumber(knee)} entries there`));
  return { question: 'TLB misses', parts };
}

function flushLine(cells: readonly CellResult[], name: (c: CellResult) => string): VerdictLine {
  const collateral = (c: CellResult): number => metric(c, 'tlb_entries_flushed_collateral');
  const text = (c: CellResult): string => `${groupedNumber(collateral(c))} entries (${groupedNumber(metric(c, 'refill_misses'))} refill misses)`;
  return { question: 'Flush collateral', parts: range(cells, collateral, 'lower', text, name, ['least', 'most']) };
}

function timeLine(cells: readonly CellResult[], name: (c: CellResult) => string): VerdictLine {
  const question = 'Estimated stage-2 time';
  if (cells.every((c) => c.estimates === undefined)) return { question, parts: [t('not estimated (no cost profile in this run)')] };
  const time = (c: CellResult): number => metric(c, 'est_stage2_ns');
  return { question, parts: range(cells, time, 'lower', (c) => ms(time(c)), name, ['best', 'worst']) };
}
