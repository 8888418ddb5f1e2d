/**
 * Chart: how the mapped guest memory is split between 4K, 2M and 1G leaves
 * at the end of replay, per scenario (stacked to 100%, summed over traces;
 * the total mapped is under each label). Pure: results in, a configuration out.
 */
import type { ChartConfiguration } from 'chart.js';
import type { CellResult } from '../../replay/results.js';
import { hasMetric, mappedBytesByLevel } from '../metrics.js';
import { distinct, shortLabels } from '../scenarioGroups.js';
import { framedChart } from './chartOptions.js';
import { LEVEL_COLOURS, scenarioStyles } from './palette.js';
import type { ChartPanel } from './scenarioMetricsChart.js';

/** Bytes as `512 KiB`, `12.5 MiB`, `3 GiB`. */
export function bytesText(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${+value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** `undefined` when no cell has any `pages_*` counter. `panel`: one arch's panel of the small multiples (colours from every cell). */
export function mappingLevelsChart(all: readonly CellResult[], panel?: ChartPanel): ChartConfiguration<'bar'> | undefined {
  const styles = scenarioStyles(all.map((c) => c.scenario));
  const results = panel === undefined ? all : all.filter(panel.keep);
  if (!['pages_4k', 'pages_2m', 'pages_1g'].some((name) => hasMetric(results, name))) return undefined;
  const scenarios = distinct(results.map((c) => c.scenario.name));
  const short = shortLabels(scenarios);
  const sums = scenarios.map((name) => {
    const total = { bytes4k: 0, bytes2m: 0, bytes1g: 0 };
    for (const cell of results.filter((c) => c.scenario.name === name)) {
      const bytes = mappedBytesByLevel(cell);
      total.bytes4k += bytes.bytes4k;
      total.bytes2m += bytes.bytes2m;
      total.bytes1g += bytes.bytes1g;
    }
    return total;
  });
  const share = (part: number, i: number): number => {
    const all = sums[i].bytes4k + sums[i].bytes2m + sums[i].bytes1g;
    return all === 0 ? 0 : (part / all) * 100;
  };
  const labels = scenarios.map((name, i) => [...short.get(name)!.split(' '), bytesText(sums[i].bytes4k + sums[i].bytes2m + sums[i].bytes1g)]);
  const levels = [
    { label: '4K leaves', key: 'bytes4k', colour: LEVEL_COLOURS['4K'] },
    { label: '2M leaves', key: 'bytes2m', colour: LEVEL_COLOURS['2M'] },
    { label: '1G leaves', key: 'bytes1g', colour: LEVEL_COLOURS['1G'] },
  ] as const;
  return framedChart(
    'bar',
    {
      title: `Mapped guest memory by leaf size, per scenario${panel === undefined ? '' : `: ${panel.name}`}`,
      subtitle: 'Share of the bytes mapped at the end of replay, all traces together; under each scenario: the total mapped',
      xTitle: 'scenario (label colour = scenario colour)',
      yTitle: 'share of mapped memory (%)',
      stacked: true,
      yMax: 100,
      xTickColours: scenarios.map((name) => styles.get(name)!.hue),
    },
    {
      labels,
      datasets: levels.map((level) => ({
        label: level.label,
        data: sums.map((sum, i) => share(sum[level.key], i)),
        backgroundColor: level.colour,
        borderColor: '#ffffff',
        borderWidth: 1,
      })),
    },
  );
}
