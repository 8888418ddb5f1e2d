/**
 * At most six series per panel, so that legends stay readable at 1200 px:
 * with more cells, one per base scenario (its prefault=none cell, else its
 * first), the first six.
 */
import type { CellResult } from '../../replay/results.js';
import { prefaultTable } from '../scenarioGroups.js';

/** Most series (lines, legend entries) in one panel. */
export const MAX_SERIES = 6;

/** One cell per base scenario of `trace` among those `keep` accepts (prefault=none first), the first `MAX_SERIES`, and how many bases were left out. */
export function onePerBase(results: readonly CellResult[], trace: string, keep: (c: CellResult) => boolean): { cells: CellResult[]; dropped: number } {
  const rows = prefaultTable(results.filter((c) => c.trace === trace && keep(c))).rows;
  const cells = rows.map((r) => r.cells.get('none') ?? [...r.cells.values()][0]);
  return { cells: cells.slice(0, MAX_SERIES), dropped: Math.max(0, cells.length - MAX_SERIES) };
}
