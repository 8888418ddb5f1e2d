/**
 * tlb-reach.csv: per cell with a reach curve (`tlbReach`, src/tlb/reachCurve.ts),
 * one row per TLB size: `trace,scenario,tlb_entries,tlb_misses`, cells in
 * cell order, sizes ascending. Pure: results in, text out; `undefined` when
 * no cell carries a curve (the file is then not written).
 */
import { stringify } from 'csv-stringify/sync';
import type { CellResult } from '../replay/results.js';

export const TLB_REACH_COLUMNS = ['trace', 'scenario', 'tlb_entries', 'tlb_misses'] as const;

export function tlbReachCsv(results: readonly CellResult[]): string | undefined {
  const cells = results.filter((c) => c.tlbReach !== undefined);
  if (cells.length === 0) return undefined;
  const rows = cells.flatMap((c) => c.tlbReach!.entries.map((entries, i) => [c.trace, c.scenario.name, entries, c.tlbReach!.misses[i]]));
  return stringify(rows, { header: true, columns: [...TLB_REACH_COLUMNS] });
}
