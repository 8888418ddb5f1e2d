/**
 * results.csv: one row per (trace, scenario, vCPU) plus a totals row with
 * vcpu = `all`, in cell order. Pure: results in, text out. Column meanings
 * are in docs/report-format.md; the order is stable (add new columns at the end).
 */
import { stringify } from 'csv-stringify/sync';
import { AT_COUNTER_NAMES, LATE_VCPU_COUNTER_NAMES, LATE_VM_COUNTER_NAMES, VCPU_COUNTER_NAMES, VM_COUNTER_NAMES } from '../mmu/stats.js';
import { SCENARIO_COLUMNS, scenarioColumnValues } from '../replay/scenario.js';
import type { CellResult, VcpuCounters } from '../replay/results.js';
import { ESTIMATE_NAMES } from '../replay/estimateCosts.js';

const APPENDED: ReadonlySet<string> = new Set([...AT_COUNTER_NAMES, ...LATE_VCPU_COUNTER_NAMES, ...LATE_VM_COUNTER_NAMES]);
/** Per-vCPU counters before the VM-wide columns: all but `accesses` (written first) and the counters that came later and so go at the end. */
const EARLY_VCPU_COUNTERS = VCPU_COUNTER_NAMES.filter((name) => name !== 'accesses' && !APPENDED.has(name));
/** VM-wide counters in their first place (the later ones go at the end). */
const EARLY_VM_COUNTERS = VM_COUNTER_NAMES.filter((name) => !APPENDED.has(name));

/** Columns, in order. */
export const RESULT_COLUMNS = [
  'trace',
  'scenario',
  ...SCENARIO_COLUMNS,
  'vcpu',
  'accesses',
  'faults',
  ...EARLY_VCPU_COUNTERS,
  ...EARLY_VM_COUNTERS,
  ...ESTIMATE_NAMES,
  ...AT_COUNTER_NAMES,
  ...LATE_VCPU_COUNTER_NAMES,
  ...LATE_VM_COUNTER_NAMES,
] as const;

/** The CSV text for `results` (rows in the given order). */
export function resultsToCsv(results: readonly CellResult[]): string {
  const rows: (string | number)[][] = [];
  for (const cell of results) {
    const head = [cell.trace, cell.scenario.name, ...scenarioColumnValues(cell.scenario)];
    // VM-wide counters belong to the totals row only; per-vCPU rows leave them empty.
    const row = (vcpu: string, counters: VcpuCounters, withVm: boolean): (string | number)[] => [
      ...head,
      vcpu,
      counters.accesses,
      counters.faults,
      ...EARLY_VCPU_COUNTERS.map((name) => counters[name]),
      ...EARLY_VM_COUNTERS.map((name) => (withVm ? cell.vm[name] : '')),
      // Estimates price VM-wide counters too: the totals row only (empty without a profile).
      ...ESTIMATE_NAMES.map((name) => (withVm && cell.estimates !== undefined ? cell.estimates[name] : '')),
      ...AT_COUNTER_NAMES.map((name) => counters[name]),
      ...LATE_VCPU_COUNTER_NAMES.map((name) => counters[name]),
      ...LATE_VM_COUNTER_NAMES.map((name) => (withVm ? cell.vm[name] : '')),
    ];
    cell.vcpus.forEach((counters, vcpu) => {
      rows.push(row(String(vcpu), counters, false));
    });
    rows.push(row('all', cell.total, true));
  }
  return stringify(rows, { header: true, columns: [...RESULT_COLUMNS] });
}
