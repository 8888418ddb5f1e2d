/**
 * Chart: guest faults with and without pre-population, grouped bars, each
 * bar in its scenario's colour, one dataset (legend entry) per prefault
 * value (`none` first), the count above each bar and the change of every
 * pre-populated value against `none` under its group.
 *
 * - One base scenario (every dimension but `--prefault`): one chart, one
 *   group per trace.
 * - Several bases: small multiples, one panel per trace
 *   (`prefaultFaultsPanel`), one group per base scenario (at most six).
 *
 * Pure: results in, a Chart.js configuration out.
 */
import type { ChartConfiguration, ChartDataset, LegendItem } from 'chart.js';
import type { CellResult } from '../../replay/results.js';
import { distinct, prefaultTable, shortLabels, type PrefaultRow } from '../scenarioGroups.js';
import { compactNumber, framedChart } from './chartOptions.js';
import { barLabelsPlugin } from './chartPlugins.js';
import { CHART_FONT, lighten, scenarioStyles } from './palette.js';

/** Saving of `withPrefault` over `without`, as text ("-84.2%"; "n/a" when `without` is 0). */
export function savingText(without: number, withPrefault: number, digits = 1): string {
  if (without === 0) return 'n/a';
  return `${(((withPrefault - without) / without) * 100).toFixed(digits)}%`;
}

const TITLE = 'Stage-2 guest faults with and without pre-population';
const Y_TITLE = 'guest faults (count)';
/** Bars with no cell draw nothing; their colour does not matter. */
const NO_CELL = '#999999';

/** Most groups in one panel. */
const MAX_GROUPS = 6;

/** True when the run has several base scenarios: the chart is then one panel per trace. */
export function prefaultFaultsNeedsPanels(results: readonly CellResult[]): boolean {
  return distinct(prefaultTable(results).rows.map((r) => r.base)).length > 1;
}

/** The one-chart form: one group per trace (meant for runs with one base scenario). */
export function prefaultFaultsChart(results: readonly CellResult[]): ChartConfiguration<'bar'> {
  const table = prefaultTable(results);
  return grouped(results, table.prefaults, table.rows, (row) => row.trace, TITLE, 'trace (change in faults)');
}

/** The panel of one trace: one group per base scenario (the first six); `undefined` when the trace has no cell. */
export function prefaultFaultsPanel(results: readonly CellResult[], trace: string): ChartConfiguration<'bar'> | undefined {
  const table = prefaultTable(results);
  const rows = table.rows.filter((r) => r.trace === trace);
  if (rows.length === 0) return undefined;
  const short = shortLabels(distinct(table.rows.map((r) => r.base)));
  const dropped = rows.length - MAX_GROUPS;
  const title = `${TITLE}: ${trace}`;
  return grouped(
    results,
    table.prefaults,
    rows.slice(0, MAX_GROUPS),
    (row) => short.get(row.base)!,
    title,
    `scenario (change in faults)${dropped > 0 ? `; ${dropped} more scenarios in summary.md` : ''}`,
  );
}

/** Groups = rows (labelled by `groupLabel`), one dataset per prefault value, the change in the group label. */
function grouped(
  results: readonly CellResult[],
  prefaults: readonly string[],
  rows: readonly PrefaultRow[],
  groupLabel: (row: PrefaultRow) => string,
  title: string,
  xTitle: string,
): ChartConfiguration<'bar'> {
  const styles = scenarioStyles(results.map((c) => c.scenario));
  const labels = rows.map((row) => {
    const lines = [groupLabel(row)];
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
      : `Bars: guest faults taken during replay (pre-faults are not guest faults); under each ${xTitle.split(' ')[0]}: the change in faults with pre-population`;
  const config = framedChart('bar', { title, subtitle, xTitle, yTitle: Y_TITLE, grace: '10%' }, { labels, datasets }, [
    barLabelsPlugin(datasets.map((d) => d.data.map((v) => (v === null ? undefined : compactNumber(v))))),
  ]);
  // With several scenarios the bars have several hues: the legend shows each prefault value's shade on grey.
  if (new Set(rows.map((r) => r.base)).size > 1) {
    const shades = prefaults.map((p) => {
      const cell = rows.map((r) => r.cells.get(p)).find((c) => c !== undefined);
      return cell === undefined ? 0 : styles.get(cell.scenario.name)!.shade;
    });
    const legendOptions = config.options!.plugins!.legend!;
    legendOptions.labels ??= {};
    const legend = legendOptions.labels;
    legend.generateLabels = (): LegendItem[] =>
      prefaults.map((p, i) => ({
        text: `prefault=${p}`,
        fillStyle: lighten(LEGEND_GREY, shades[i]),
        strokeStyle: lighten(LEGEND_GREY, shades[i]),
        lineWidth: 1,
        fontColor: '#222',
        datasetIndex: i,
      }));
    legend.font = CHART_FONT;
  }
  return config;
}

/** Legend swatches of a panel whose bars have several scenario hues. */
const LEGEND_GREY = '#555555';
