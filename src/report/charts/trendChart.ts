/**
 * Chart: the headline metrics over the last nightly runs (reports/history.jsonl),
 * each as its change in % against the oldest run shown, so metrics of any
 * size share one axis. Pure: history entries in, a configuration out.
 */
import type { ChartConfiguration } from 'chart.js';
import type { HistoryEntry } from '../history.js';
import { framedChart } from './chartOptions.js';
import { seriesColour } from './palette.js';
import { MAX_SERIES } from './seriesLimit.js';

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

/** Series drawn (a first value to take the change from), in order. */
function drawable(entries: readonly HistoryEntry[]): ReturnType<typeof series> {
  return series(entries).filter((s) => s.values[0] !== undefined && s.values[0] !== 0);
}

/** Panels of the trend: at most six series each (MAX_SERIES), in series order. */
export function trendPanelCount(entries: readonly HistoryEntry[]): number {
  return entries.length < 2 ? 0 : Math.max(1, Math.ceil(drawable(entries).length / MAX_SERIES));
}

/**
 * Panel `panel` (0-based) of the trend: its six series. `undefined` with
 * fewer than two entries (no trend to draw) or past the last panel. A series
 * whose first value is 0 or missing is left out (no % change from 0).
 */
export function trendChart(entries: readonly HistoryEntry[], panel = 0): ChartConfiguration<'line'> | undefined {
  if (entries.length < 2 || panel >= trendPanelCount(entries)) return undefined;
  const lines = drawable(entries).slice(panel * MAX_SERIES, (panel + 1) * MAX_SERIES);
  const panels = trendPanelCount(entries);
  const runs = `last ${entries.length} runs`;
  return framedChart(
    'line',
    {
      title: `Trend of the headline metrics over the nightly runs${panels > 1 ? ` (${panel + 1}/${panels})` : ''}`,
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
        borderDash: [],
        borderWidth: 3,
        pointRadius: 4,
        spanGaps: false,
      })),
    },
  );
}
