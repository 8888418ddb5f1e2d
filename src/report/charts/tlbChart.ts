/**
 * Chart: TLB misses and stage-2 walk references per scenario (summed over
 * traces). Pure: results in, a configuration out; `undefined` without the counters.
 */
import type { ChartConfiguration } from 'chart.js';
import type { CellResult } from '../../replay/results.js';
import { scenarioMetricsChart, type ChartPanel } from './scenarioMetricsChart.js';

/** `panel`: one arch's panel of the small multiples. */
export function tlbChart(results: readonly CellResult[], panel?: ChartPanel): ChartConfiguration<'bar'> | undefined {
  return scenarioMetricsChart(
    results,
    [
      { name: 'tlb_misses', label: 'TLB misses (last level)' },
      { name: 'walk_refs', label: 'stage-2 walk memory references' },
    ],
    {
      title: 'TLB misses and page-walk references, per scenario',
      subtitle: 'All vCPUs and traces together; labels give the exact totals',
      yTitle: 'count (lookups / references)',
      panel,
    },
  );
}
