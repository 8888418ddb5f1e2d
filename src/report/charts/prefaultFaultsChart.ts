/**
 * Chart: guest faults with and without pre-population, grouped bars, one
 * group per trace, each bar in its scenario's colour.
 *
 * - One base scenario (every dimension but `--prefault`): one bar per
 *   prefault value (`none` first), the count above each bar, and the change
 *   of every pre-populated value against `none` in the trace's label.
 * - Several bases: one bar per scenario (hue = base, lighter = pre-populated),
 *   and above each pre-populated bar its change against the same base's
 *   `none` bar; the legend names the scenarios.
 *
 * Pure: results in, a Chart.js configuration out.
 */
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import type { CellResult } from '../../replay/results.js';
import { distinct, prefaultTable, shortLabels, type PrefaultRow } from '../scenarioGroups.js';
import { compactNumber, framedChart } from './chartOptions.js';
import { barLabelsPlugin } from './chartPlugins.js';
import { scenarioStyles } from './palette.js';

/** Saving of `withPrefault` over `without`, as text ("-84.2%"; "n/a" when `without` is 0). */
export function savingText(without: number, withPrefault: number, digits = 1): string {
  if (without === 0) return 'n/a';
  return `${(((withPrefault - without) / without) * 100).toFixed(digits)}%`;
}

const TITLE = 'Stage-2 guest faults with and without pre-population';
const Y_TITLE = 'guest faults (count)';
/** Bars with no cell draw nothing; their colour does not matter. */
const NO_CELL = '#999999';

export function prefaultFaultsChart(results: readonly CellResult[]): ChartConfiguration<'bar'> {
  const table = prefaultTable(results);
  const bases = distinct(table.rows.map((r) => r.base));
  return bases.length > 1 ? byScenario(results, table.prefaults, table.rows, bases) : byPrefault(results, table.prefaults, table.rows);
}

/** One base: groups = traces, one dataset per prefault value, the change in the group label. */
function byPrefault(results: readonly CellResult[], prefaults: readonly string[], rows: readonly PrefaultRow[]): ChartConfiguration<'bar'> {
  const styles = scenarioStyles(results.map((c) => c.scenario));
  const labels = rows.map((row) => {
    const lines = [row.trace];
    const none = row.cells.get('none');
    for (const prefault of prefaults) {
      const cell = row.cells.get(prefault);
      if (prefault === 'none' || none === undefined || cell === undefined) continue;
      lines.push(`${prefault} vs none: ${savingText(none.total.faults, cell.total.faults)}`);
    }
    return lines;
  });
  const datasets: ChartDataset<'bar', (number | null)[]>[] = prefaults.map((prefault) => {
    const cells = rows.map((row) => row.cells.get(prefault));
    const colours = cells.map((cell) => (cell === undefined ? NO_CELL : styles.get(cell.scenario.name)!.fill));
    return {
      label: `prefault=${prefault}`,
      data: cells.map((cell) => cell?.total.faults ?? null),
      backgroundColor: colours,
      borderColor: colours,
      borderWidth: 1,
      maxBarThickness: 120,
    };
  });
  const subtitle =
    prefaults.length === 1
      ? `Only prefault=${prefaults[0]} in this run: no saving to show`
      : 'Bars: guest faults taken during replay (pre-faults are not guest faults); under each trace: the change in faults with pre-population';
  return framedChart('bar', { title: TITLE, subtitle, xTitle: 'trace (change in faults)', yTitle: Y_TITLE, grace: '10%' }, { labels, datasets }, [
    barLabelsPlugin(datasets.map((d) => d.data.map((v) => (v === null ? undefined : compactNumber(v))))),
  ]);
}

/** Several bases: groups = traces, one dataset per scenario, the change above each pre-populated bar. */
function byScenario(
  results: readonly CellResult[],
  prefaults: readonly string[],
  rows: readonly PrefaultRow[],
  bases: readonly string[],
): ChartConfiguration<'bar'> {
  const styles = scenarioStyles(results.map((c) => c.scenario));
  const traces = distinct(rows.map((r) => r.trace));
  const short = shortLabels(distinct(results.map((c) => c.scenario.name)));
  const row = (trace: string, base: string) => rows.find((r) => r.trace === trace && r.base === base);
  const datasets: ChartDataset<'bar', (number | null)[]>[] = [];
  const barTexts: (string | undefined)[][] = [];
  for (const base of bases) {
    for (const prefault of prefaults) {
      const cells = traces.map((t) => row(t, base)?.cells.get(prefault));
      const sample = cells.find((c) => c !== undefined);
      if (sample === undefined) continue;
      const style = styles.get(sample.scenario.name)!;
      datasets.push({
        label: short.get(sample.scenario.name)!,
        data: cells.map((c) => c?.total.faults ?? null),
        backgroundColor: style.fill,
        borderColor: style.hue,
        borderWidth: 1,
      });
      barTexts.push(
        cells.map((c, i) => {
          const none = row(traces[i], base)?.cells.get('none');
          return prefault === 'none' || c === undefined || none === undefined ? undefined : savingText(none.total.faults, c.total.faults, 0);
        }),
      );
    }
  }
  const subtitle = prefaults.includes('none')
    ? 'Bars: guest faults taken during replay; lighter bars are pre-populated, with their change in faults against the same scenario with prefault=none above'
    : `Bars: guest faults taken during replay (no prefault=none scenario in this run: no saving to show)`;
  return framedChart('bar', { title: TITLE, subtitle, xTitle: 'trace', yTitle: Y_TITLE, grace: '12%' }, { labels: traces, datasets }, [
    barLabelsPlugin(barTexts, 12, true),
  ]);
}
