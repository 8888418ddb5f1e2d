/**
 * Chart: replay engine throughput from the benchmarks (bench/run.ts), one
 * bar per task: the mean of the per-iteration throughputs, with error bars
 * of one standard deviation. Pure: samples in, a configuration out.
 */
import type { ChartConfiguration } from 'chart.js';
import type { BenchmarkSamples } from '../../replay/results.js';
import { benchmarkStats } from '../benchmarkStats.js';
import { framedChart, wrapLabel } from './chartOptions.js';
import { errorBarsPlugin } from './chartPlugins.js';
import { seriesColour } from './palette.js';

const MILLION = 1e6;

/** `undefined` without benchmarks (`mmubench run` does not run them). */
export function throughputChart(benchmarks: readonly BenchmarkSamples[] | undefined): ChartConfiguration<'bar'> | undefined {
  if (benchmarks === undefined || benchmarks.length === 0) return undefined;
  const stats = benchmarks.map(benchmarkStats);
  const mean = stats.map((s) => s.accessesPerSecond / MILLION);
  const sd = stats.map((s) => s.accessesPerSecondSd / MILLION);
  return framedChart(
    'bar',
    {
      title: 'Replay engine throughput (benchmarks)',
      subtitle: 'Bar: mean over iterations; error bar: ± one standard deviation (under each task, in million accesses/s); n = iterations measured',
      xTitle: 'benchmark task',
      yTitle: 'throughput (million guest accesses / s)',
      grace: '15%',
      ySuggestedMax: Math.max(...mean.map((m, i) => m + sd[i])) * 1.1,
      noLegend: true,
    },
    {
      labels: stats.map((s, i) => [...wrapLabel(s.name, 40), `${mean[i].toFixed(2)} ± ${sd[i].toFixed(2)} M/s, n = ${s.samples}`]),
      datasets: [{ label: 'throughput', data: mean, backgroundColor: stats.map((_, i) => seriesColour(i)), maxBarThickness: 160 }],
    },
    [
      errorBarsPlugin(
        0,
        mean.map((m, i) => Math.max(0, m - sd[i])),
        mean.map((m, i) => m + sd[i]),
      ),
    ],
  );
}
