/**
 * Chart: guest faults with and without pre-population, per trace (grouped
 * bars, one bar per `--prefault` value), the saving in % in each group's
 * label. Pure: results in, a Chart.js configuration out.
 */
import type { ChartConfiguration } from 'chart.js';
import { prefaultText } from '../../replay/scenario.js';
import type { CellResult } from '../results.js';
import { CHART_FONT, seriesColour } from './palette.js';

/** The scenario name without its prefault part: what a group compares over. */
function baseScenario(cell: CellResult): string {
  return cell.scenario.name.replace(/ prefault=\S+/, '');
}

/** Only the scenario words that differ between groups, so labels stay short. */
function varyingWords(names: readonly string[]): (name: string) => string {
  const split = names.map((n) => n.split(' '));
  const varies = (i: number): boolean => split.some((words) => words[i] !== split[0][i]);
  return (name) =>
    name
      .split(' ')
      .filter((_, i) => varies(i))
      .join(' ');
}

/** Saving of `with` over `without`, as text ("-100%", "n/a"). */
export function savingText(without: number, withPrefault: number): string {
  if (without === 0) return 'n/a';
  return `${(((withPrefault - without) / without) * 100).toFixed(1)}%`;
}

export function prefaultFaultsChart(results: readonly CellResult[]): ChartConfiguration {
  const groups: string[] = [];
  const prefaults: string[] = [];
  const bases = [...new Set(results.map(baseScenario))];
  const shorten = varyingWords(bases);
  const value = new Map<string, number>();
  for (const cell of results) {
    const group = bases.length > 1 ? `${cell.trace}\n${shorten(baseScenario(cell))}` : cell.trace;
    const prefault = prefaultText(cell.scenario.prefault);
    if (!groups.includes(group)) groups.push(group);
    if (!prefaults.includes(prefault)) prefaults.push(prefault);
    value.set(`${group}\u0000${prefault}`, cell.total.faults);
  }
  // Multi-line labels: trace, the scenario words that vary, the saving.
  const labels = groups.map((group) => {
    const none = value.get(`${group}\u0000none`);
    const all = value.get(`${group}\u0000all`);
    const lines = group.split('\n');
    return none !== undefined && all !== undefined ? [...lines, `all vs none: ${savingText(none, all)}`] : lines;
  });
  return {
    type: 'bar',
    data: {
      labels,
      datasets: prefaults.map((prefault, index) => ({
        label: `prefault=${prefault}`,
        backgroundColor: seriesColour(index),
        data: groups.map((group) => value.get(`${group}\u0000${prefault}`) ?? 0),
      })),
    },
    options: {
      plugins: {
        title: { display: true, text: 'Stage-2 guest faults with and without pre-population', font: { size: 20 } },
        legend: { labels: { font: CHART_FONT } },
      },
      scales: {
        x: { title: { display: true, text: 'trace (saving in faults)', font: CHART_FONT }, ticks: { font: CHART_FONT } },
        y: { beginAtZero: true, title: { display: true, text: 'guest faults (count)', font: CHART_FONT }, ticks: { font: CHART_FONT } },
      },
    },
  };
}
