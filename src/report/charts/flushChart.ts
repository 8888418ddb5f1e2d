/**
 * Chart: the cost of TLB flushes per scenario (summed over traces): entries
 * flushed, the collateral ones a full flush dropped outside the requested
 * range, and the refill misses on translations a flush dropped while still
 * valid; the range/full flush counts are under each label. Pure.
 */
import type { ChartConfiguration } from 'chart.js';
import type { CellResult } from '../../replay/results.js';
import { sumMetric } from '../metrics.js';
import { scenarioMetricsChart, type ChartPanel } from './scenarioMetricsChart.js';

/** `range 3 · full 1` from the flush counters the cells have. */
function flushCounts(cells: readonly CellResult[]): string | undefined {
  const range = sumMetric(cells, 'flushes_range');
  const full = sumMetric(cells, 'flushes_full');
  const parts = [range !== undefined ? `range ${range}` : undefined, full !== undefined ? `full ${full}` : undefined].filter((p) => p !== undefined);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/** `panel`: one arch's panel of the small multiples. */
export function flushChart(results: readonly CellResult[], panel?: ChartPanel): ChartConfiguration<'bar'> | undefined {
  return scenarioMetricsChart(
    results,
    [
      { name: 'tlb_entries_flushed', label: 'TLB entries flushed' },
      { name: 'tlb_entries_flushed_collateral', label: 'collateral (outside the range)' },
      { name: 'refill_misses', label: 'refill misses' },
    ],
    {
      title: 'TLB flush cost: range vs full flushes, per scenario',
      subtitle: 'All traces together; under each scenario: range and full flush operations',
      yTitle: 'count (entries / misses)',
      extraLabel: flushCounts,
      panel,
    },
  );
}
