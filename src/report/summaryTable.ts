/**
 * The headline table shared by summary.md and index.html: one row per trace
 * and base scenario (every dimension but `--prefault`), its faults under
 * each prefault value and the saving over `none`, then huge-page coverage,
 * TLB misses and flush cost of each of its cells. Pure: statistics only, the
 * exporters format.
 */
import { cellMetric, hugeCoverage, percentChange } from './metrics.js';
import type { CellResult } from '../replay/results.js';
import { distinct, prefaultTable, shortLabels } from './scenarioGroups.js';

/** Counters shown per cell, by results.csv column name, with their headers. */
export const SUMMARY_METRICS = [
  { name: 'tlb_misses', header: 'TLB misses' },
  { name: 'tlb_entries_flushed', header: 'TLB entries flushed' },
  { name: 'refill_misses', header: 'Refill misses' },
] as const;

/** One (trace, base scenario). Arrays are indexed like `SummaryTable.prefaults`; `undefined` = no such cell or counter. */
export interface SummaryRow {
  trace: string;
  /** The base scenario's distinguishing words (the whole base name when the run has one base). */
  scenario: string;
  faults: (number | undefined)[];
  /** Change in faults of each prefault value over `none`, in % (`undefined` for `none` itself, or without a `none` cell, or from 0 faults). */
  savingPct: (number | undefined)[];
  /** Share of mapped bytes in 2M/1G leaves at the end of replay, in %. */
  hugePct: (number | undefined)[];
  /** `SUMMARY_METRICS` values, by metric name. */
  metrics: Record<string, (number | undefined)[]>;
  /** Estimated stage-2 time (`est_stage2_ns`), in ns; `undefined` without estimates. */
  estNs: (number | undefined)[];
  /** `at_slow` and `at_ops` of each cell (AT emulation; shown only when the run has ATs). */
  atSlow: (number | undefined)[];
  atOps: (number | undefined)[];
}

export interface SummaryTable {
  /** Prefault values present, `none` first. */
  prefaults: string[];
  /** True when the run has more than one base scenario (the scenario column matters). */
  manyScenarios: boolean;
  /** True when a cell emulated AT instructions (the `AT slow` column appears). */
  hasAt: boolean;
  rows: SummaryRow[];
}

/** The summary table of `results` (rows in cell order). */
export function summaryTable(results: readonly CellResult[]): SummaryTable {
  const { prefaults, rows } = prefaultTable(results);
  const bases = distinct(rows.map((r) => r.base));
  const short = shortLabels(bases);
  return {
    prefaults,
    manyScenarios: bases.length > 1,
    hasAt: results.some((c) => c.total.at_ops > 0),
    rows: rows.map((row) => {
      const cells = prefaults.map((p) => row.cells.get(p));
      const none = row.cells.get('none');
      const metrics: Record<string, (number | undefined)[]> = {};
      for (const { name } of SUMMARY_METRICS) metrics[name] = cells.map((c) => (c === undefined ? undefined : cellMetric(c, name)));
      return {
        trace: row.trace,
        scenario: short.get(row.base)!,
        faults: cells.map((c) => c?.total.faults),
        savingPct: cells.map((c, i) =>
          c === undefined || none === undefined || prefaults[i] === 'none' ? undefined : percentChange(none.total.faults, c.total.faults),
        ),
        hugePct: cells.map((c) => {
          const share = c === undefined ? undefined : hugeCoverage([c]);
          return share === undefined ? undefined : share * 100;
        }),
        metrics,
        estNs: cells.map((c) => (c === undefined ? undefined : cellMetric(c, 'est_stage2_ns'))),
        atSlow: cells.map((c) => c?.total.at_slow),
        atOps: cells.map((c) => c?.total.at_ops),
      };
    }),
  };
}
