/**
 * Charts of a few counters per scenario (summed over traces), bars in the
 * scenario's colour: the first metric solid, the second outlined, the third
 * pale. Used for TLB misses and walk references, and for flush cost.
 * Metrics no cell has are left out; with none left, there is no chart.
 */
import type { ChartConfiguration, ChartDataset, LegendItem } from 'chart.js';
import type { CellResult } from '../../replay/results.js';
import { hasMetric, sumMetric } from '../metrics.js';
import { distinct, shortLabels } from '../scenarioGroups.js';
import { compactNumber, framedChart } from './chartOptions.js';
import { barLabelsPlugin } from './chartPlugins.js';
import { CHART_FONT, lighten, scenarioStyles } from './palette.js';

/** A counter to draw, by name, and its legend text. */
export interface MetricSpec {
  name: string;
  label: string;
}

export interface ScenarioMetricsFrame {
  title: string;
  subtitle: string;
  yTitle: string;
  /** Extra lines under a scenario's label (e.g. flush counts), from its cells. */
  extraLabel?: (cells: readonly CellResult[]) => string | undefined;
  /** A panel of small multiples: only these cells are drawn (colours still come from every cell, so they match the other charts). */
  panel?: ChartPanel;
}

/** One panel of a chart split by arch: its name (for the title) and which cells it draws. */
export interface ChartPanel {
  name: string;
  keep: (cell: CellResult) => boolean;
}

/** Fill, border and legend swatch of the i-th metric in a scenario's colour. */
function metricLook(index: number, hue: string): { backgroundColor: string; borderColor: string; borderWidth: number } {
  if (index === 0) return { backgroundColor: hue, borderColor: hue, borderWidth: 1 };
  if (index === 1) return { backgroundColor: '#ffffff', borderColor: hue, borderWidth: 3 };
  return { backgroundColor: lighten(hue, 0.65), borderColor: lighten(hue, 0.3), borderWidth: 1 };
}

/** `undefined` when no cell has any of `metrics`. */
export function scenarioMetricsChart(
  results: readonly CellResult[],
  metrics: readonly MetricSpec[],
  frame: ScenarioMetricsFrame,
): ChartConfiguration<'bar'> | undefined {
  const styles = scenarioStyles(results.map((c) => c.scenario));
  const all = results;
  results = frame.panel === undefined ? all : all.filter(frame.panel.keep);
  const present = metrics.filter((m) => hasMetric(results, m.name));
  if (present.length === 0) return undefined;
  const scenarios = distinct(results.map((c) => c.scenario.name));
  const hues = scenarios.map((name) => styles.get(name)!.hue);
  const short = shortLabels(scenarios);
  const cellsOf = (name: string) => results.filter((c) => c.scenario.name === name);
  const values = present.map((m) => scenarios.map((name) => sumMetric(cellsOf(name), m.name) ?? 0));
  // A log axis once values span more than two decades, so small bars stay visible.
  const positive = values.flat().filter((v) => v > 0);
  const logY = positive.length > 0 && Math.max(...positive) / Math.min(...positive) > 100;
  const datasets: ChartDataset<'bar', number[]>[] = present.map((metric, i) => {
    const looks = hues.map((hue) => metricLook(i, hue));
    return {
      label: metric.label,
      data: values[i],
      backgroundColor: looks.map((l) => l.backgroundColor),
      borderColor: looks.map((l) => l.borderColor),
      borderWidth: looks.map((l) => l.borderWidth),
    };
  });
  const labels = scenarios.map((name) => {
    const extra = frame.extraLabel?.(cellsOf(name));
    return [...short.get(name)!.split(' '), ...(extra ? [extra] : [])];
  });
  const config = framedChart(
    'bar',
    {
      title: frame.panel === undefined ? frame.title : `${frame.title}: ${frame.panel.name}`,
      subtitle: `${frame.subtitle}${logY ? ' (log scale)' : ''}`,
      xTitle: 'scenario (colour = scenario)',
      yTitle: frame.yTitle,
      logY,
      grace: logY ? undefined : '8%',
      xTickColours: hues,
    },
    { labels, datasets },
    [barLabelsPlugin(values.map((row) => row.map((v) => compactNumber(v))))],
  );
  // Legend swatches in neutral grey: the metric's look, not a scenario's colour.
  const legendOptions = config.options!.plugins!.legend!;
  legendOptions.labels ??= {};
  const legend = legendOptions.labels;
  legend.generateLabels = (): LegendItem[] =>
    present.map((metric, i) => {
      const look = metricLook(i, '#555555');
      return {
        text: metric.label,
        fillStyle: look.backgroundColor,
        strokeStyle: look.borderColor,
        lineWidth: look.borderWidth,
        fontColor: '#222',
        datasetIndex: i,
      };
    });
  legend.font = CHART_FONT;
  return config;
}
