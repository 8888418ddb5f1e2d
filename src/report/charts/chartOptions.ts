/**
 * The frame every chart shares: title and subtitle, axis titles with units,
 * legend, fonts sized for 1200x600. Chart builders fill in data only.
 */
import type { ChartConfiguration, ChartType, Plugin } from 'chart.js';
import { CHART_FONT, SMALL_FONT, TITLE_FONT } from './palette.js';

/** What a chart says about itself. */
export interface ChartFrame {
  title: string;
  /** A second line under the title: what the marks mean. */
  subtitle?: string;
  /** Axis titles, with units in parentheses. */
  xTitle: string;
  yTitle: string;
  /** Stack bars (x and y). */
  stacked?: boolean;
  /** Logarithmic value axis. */
  logY?: boolean;
  /** Value-axis maximum (e.g. 100 for shares in %). */
  yMax?: number;
  /** Value-axis top at least this (e.g. the highest error-bar whisker, which Chart.js does not see). */
  ySuggestedMax?: number;
  /** Room above the tallest bar for labels, e.g. '12%'. */
  grace?: string;
  /** Legend entries to hide, by dataset label. */
  hideFromLegend?: (label: string) => boolean;
  /** Colours of the x tick labels, by index (e.g. a scenario's colour). */
  xTickColours?: string[];
  /** Legend off (one series explains itself through the title). */
  noLegend?: boolean;
}

/** A complete Chart.js configuration from a frame, data and inline plugins. */
export function framedChart<T extends ChartType>(
  type: T,
  frame: ChartFrame,
  data: ChartConfiguration<T>['data'],
  plugins: Plugin<T>[] = [],
): ChartConfiguration<T> {
  const hide = frame.hideFromLegend;
  const ticks = { font: CHART_FONT, color: frame.xTickColours ?? '#222' };
  const options = {
    layout: { padding: { left: 8, right: 16, top: 4, bottom: 4 } },
    plugins: {
      title: { display: true, text: frame.title, font: TITLE_FONT, color: '#222' },
      subtitle: { display: frame.subtitle !== undefined, text: frame.subtitle ?? '', font: SMALL_FONT, color: '#444', padding: { bottom: 8 } },
      legend: {
        display: frame.noLegend !== true,
        labels: { font: CHART_FONT, color: '#222', ...(hide ? { filter: (item: { text: string }) => !hide(item.text) } : {}) },
      },
    },
    scales: {
      x: { stacked: frame.stacked === true, title: { display: true, text: frame.xTitle, font: CHART_FONT, color: '#222' }, ticks },
      y: {
        type: frame.logY ? 'logarithmic' : 'linear',
        stacked: frame.stacked === true,
        beginAtZero: frame.logY !== true,
        ...(frame.yMax !== undefined ? { max: frame.yMax } : {}),
        ...(frame.ySuggestedMax !== undefined ? { suggestedMax: frame.ySuggestedMax } : {}),
        ...(frame.grace !== undefined ? { grace: frame.grace } : {}),
        title: { display: true, text: frame.yTitle, font: CHART_FONT, color: '#222' },
        ticks: { font: CHART_FONT, color: '#222' },
      },
    },
  };
  return { type, data, options: options as unknown as ChartConfiguration<T>['options'], plugins };
}

/** Compact count: 950, 12.3k, 4.5M. */
export function compactNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${+(value / 1e9).toFixed(abs >= 1e10 ? 0 : 1)}G`;
  if (abs >= 1e6) return `${+(value / 1e6).toFixed(abs >= 1e7 ? 0 : 1)}M`;
  if (abs >= 1e3) return `${+(value / 1e3).toFixed(abs >= 1e4 ? 0 : 1)}k`;
  return `${+value.toFixed(1)}`;
}

/** A long label as lines of at most `width` characters, split at spaces. */
export function wrapLabel(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}
