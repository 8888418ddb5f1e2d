/**
 * Chart: the TLB reach curve of one trace: misses of a fully associative LRU
 * TLB against its entries (both axes logarithmic), one line per base
 * scenario (its `none` cell, else its first), at most six. Where a
 * scenario's 2M and 1G mappings cover the working set, its curve drops at
 * fewer entries. Pure: results in, a configuration out; `undefined` when no
 * cell of the trace has a curve.
 */
import type { ChartConfiguration } from 'chart.js';
import type { CellResult } from '../../replay/results.js';
import { shortLabels } from '../scenarioGroups.js';
import { onePerBase } from './seriesLimit.js';
import { framedChart } from './chartOptions.js';
import { scenarioStyles } from './palette.js';

export function tlbReachChart(results: readonly CellResult[], trace: string): ChartConfiguration<'line'> | undefined {
  const { cells, dropped } = onePerBase(results, trace, (c) => c.tlbReach !== undefined && c.tlbReach.entries.length > 0);
  if (cells.length === 0) return undefined;
  const styles = scenarioStyles(results.map((c) => c.scenario));
  const short = shortLabels(cells.map((c) => c.scenario.name));
  const config = framedChart(
    'line',
    {
      title: `TLB reach: misses against TLB size, ${trace}`,
      subtitle: `Exact misses of a fully associative LRU TLB of each size (LRU stack distances, one pass), all vCPUs${dropped > 0 ? `; ${dropped} more scenarios in tlb-reach.csv` : ''}`,
      xTitle: 'TLB entries (log scale)',
      yTitle: 'TLB misses (count, log scale)',
      logY: true,
    },
    {
      datasets: cells.map((cell) => {
        const style = styles.get(cell.scenario.name)!;
        return {
          label: short.get(cell.scenario.name)!,
          // A log axis cannot show 0: a size with no miss is left out (null).
          data: cell.tlbReach!.entries.map((entries, i) => ({
            x: entries,
            y: cell.tlbReach!.misses[i] > 0 ? cell.tlbReach!.misses[i] : null,
          })) as unknown as number[],
          borderColor: style.hue,
          backgroundColor: style.hue,
          borderWidth: 3,
          pointRadius: 4,
          fill: false,
        };
      }),
    },
  );
  const scales = config.options!.scales as Record<string, Record<string, unknown>>;
  // Ticks at the curve's sizes (16, 32, ...), not the log axis's powers of ten.
  const sizes = cells[0].tlbReach!.entries;
  scales.x = {
    ...scales.x,
    type: 'logarithmic',
    min: sizes[0],
    max: sizes[sizes.length - 1],
    afterBuildTicks: (axis: { ticks: { value: number }[] }) => {
      axis.ticks = sizes.map((value) => ({ value }));
    },
    ticks: { ...(scales.x.ticks as object), callback: (value: number) => String(value) },
  };
  // Log y labels at 1, 2 and 5 times a power of ten only, so they never crowd.
  scales.y = {
    ...scales.y,
    ticks: {
      ...(scales.y.ticks as object),
      callback: (value: number) => ([1, 2, 5].includes(Number((value / 10 ** Math.floor(Math.log10(value))).toFixed(6))) ? value.toLocaleString('en-US') : ''),
    },
  };
  return config;
}
