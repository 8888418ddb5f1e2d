/**
 * Chart: the boot curve of one trace: cumulative guest faults after each
 * hundredth of the trace's events, one line per scenario (the scenario's
 * colour and dash pattern), at most six: with more, one per base scenario
 * (its prefault=none cell), the first six. Pure: results in, a configuration out.
 */
import type { ChartConfiguration } from 'chart.js';
import type { CellResult } from '../../replay/results.js';
import { shortLabels } from '../scenarioGroups.js';
import { framedChart } from './chartOptions.js';
import { scenarioStyles } from './palette.js';
import { MAX_SERIES, onePerBase } from './seriesLimit.js';

/**
 * The curve of `trace` from `results` (cells of other traces are ignored;
 * their scenarios still fix the colours, so they match the other charts).
 * `undefined` when the trace has no cell with a fault curve.
 */
export function faultCurveChart(results: readonly CellResult[], trace: string): ChartConfiguration<'line'> | undefined {
  const hasCurve = (c: CellResult): boolean => Array.isArray(c.faultCurve) && c.faultCurve.length > 1;
  let cells = results.filter((c) => c.trace === trace && hasCurve(c));
  if (cells.length === 0) return undefined;
  const all = cells.length;
  if (cells.length > MAX_SERIES) cells = onePerBase(results, trace, hasCurve).cells;
  const styles = scenarioStyles(results.map((c) => c.scenario));
  const short = shortLabels(cells.map((c) => c.scenario.name));
  const points = Math.max(...cells.map((c) => c.faultCurve.length));
  return framedChart(
    'line',
    {
      title: `Cumulative guest faults over the trace: ${trace}`,
      subtitle: `The boot curve: faults taken so far after each 1% of the trace's events (pre-faults are not guest faults)${all > cells.length ? `; ${cells.length} of ${all} scenarios (prefault=none)` : ''}`,
      xTitle: 'trace progress (% of events)',
      yTitle: 'cumulative guest faults (count)',
    },
    {
      labels: Array.from({ length: points }, (_, i) => Math.round((i * 100) / (points - 1))),
      datasets: cells.map((cell) => {
        const style = styles.get(cell.scenario.name)!;
        return {
          label: short.get(cell.scenario.name)!,
          data: cell.faultCurve,
          borderColor: style.colour,
          backgroundColor: style.colour,
          borderDash: style.dash,
          borderWidth: 3,
          pointRadius: 0,
          fill: false,
        };
      }),
    },
  );
}
