/**
 * Chart: the headline metrics over the last nightly runs (reports/history.jsonl),
 * each as its change in % against the oldest run shown, so metrics of any
 * size share one axis. Pure: history entries in, a configuration out.
 */
import type { ChartConfiguration } from 'chart.js';
import type { HistoryEntry } from '../history.js';
import { framedChart } from './chartOptions.js';
import { seriesColour } from './palette.js';

/** Short x label from a report name `2026-11-23T10-15-00Z`: `11-23 10:15`. */
export function runLabel(report: string): string {
  const match = /^\d{4}-(\d\d-\d\d)T(\d\d)-(\d\d)/.exec(report);
  return match ? `${match[1]} ${match[2]}:${match[3]}` : report;
}

/** Every series: headline metrics, then throughput per benchmark task. */
function series(entries: readonly HistoryEntry[]): { label: string; values: (number | undefined)[] }[] {
  const headlineNames = [...new Set(entries.flatMap((e) => Object.keys(e.headline)))];
  const benchNames = [...new Set(entries.flatMap((e) => Object.keys(e.throughput)))];
  return [
    ...headlineNames.map((name) => ({ label: name, values: entries.map((e) => e.headline[name]) })),
    ...benchNames.map((name) => ({ label: `throughput: ${name}`, values: entries.map((e) => e.throughput[name]) })),
  ];
}

/**
 * `undefined` with fewer than two entries (no trend to draw). A series whose
 * first value is 0 or missing is left out (no % change from 0).
 */
export function trendChart(entries: readonly HistoryEntry[]): ChartConfiguration<'line'> | undefined {
  if (entries.length < 2) return undefined;
  const lines = series(entries).filter((s) => s.values[0] !== undefined && s.values[0] !== 0);
  const runs = `last ${entries.length} runs`;
  return framedChart(
    'line',
    {
      title: 'Trend of the headline metrics over the nightly runs',
      subtitle: `Change against the oldest run shown (${runLabel(entries[0].report)}); ${runs}; counts are sums over all cells`,
      xTitle: 'nightly run (UTC)',
      yTitle: 'change vs the oldest run shown (%)',
    },
    {
      labels: entries.map((e) => runLabel(e.report)),
      datasets: lines.map((line, i) => ({
        label: line.label,
        data: line.values.map((v) => (v === undefined ? null : ((v - line.values[0]!) / Math.abs(line.values[0]!)) * 100)),
        borderColor: seriesColour(i),
        backgroundColor: seriesColour(i),
        borderDash: i >= 8 ? [10, 5] : [],
        borderWidth: 3,
        pointRadius: 4,
        spanGaps: false,
      })),
    },
  );
}
