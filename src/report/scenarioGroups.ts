/**
 * How the report groups scenarios: a scenario's *base* is every dimension but
 * `--prefault`, so the cells of one trace and one base are the same guest
 * with and without pre-population. Also the short labels charts print.
 */
import { prefaultText, type Scenario } from '../replay/scenario.js';
import type { CellResult } from '../replay/results.js';

/** The scenario name without its ` prefault=...` word. */
export function baseScenarioName(scenario: Scenario): string {
  return scenario.name.replace(` prefault=${prefaultText(scenario.prefault)}`, '');
}

/** One (trace, base scenario) and its cells by prefault value. */
export interface PrefaultRow {
  trace: string;
  base: string;
  /** Prefault text (`none`, `all`, ranges) -> cell. */
  cells: Map<string, CellResult>;
}

/** Rows in first-appearance order, and the prefault values present (`none` first). */
export interface PrefaultTable {
  prefaults: string[];
  rows: PrefaultRow[];
}

/** Group cells by (trace, base scenario); cell order decides row order. */
export function prefaultTable(results: readonly CellResult[]): PrefaultTable {
  const rows = new Map<string, PrefaultRow>();
  const prefaults: string[] = [];
  for (const cell of results) {
    const base = baseScenarioName(cell.scenario);
    const prefault = prefaultText(cell.scenario.prefault);
    if (!prefaults.includes(prefault)) prefaults.push(prefault);
    const key = `${cell.trace}\u0000${base}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = { trace: cell.trace, base, cells: new Map() };
      rows.set(key, row);
    }
    row.cells.set(prefault, cell);
  }
  prefaults.sort((a, b) => Number(b === 'none') - Number(a === 'none'));
  return { prefaults, rows: [...rows.values()] };
}

/** Distinct values in first-appearance order. */
export function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/**
 * Short labels: only the words of a name that are not common to all names
 * (`max=4k backing=2m`), the whole name when every name is the same.
 */
export function shortLabels(names: readonly string[]): Map<string, string> {
  const split = names.map((name) => name.split(' '));
  const common = new Set(split[0]?.filter((word) => split.every((words) => words.includes(word))) ?? []);
  const labels = new Map<string, string>();
  names.forEach((name, i) => {
    const short = split[i].filter((word) => !common.has(word)).join(' ');
    labels.set(name, short === '' ? name : short);
  });
  return labels;
}
