/**
 * validation.csv: one row per compared pair, in report order. Pure.
 * Columns: trace, scenario, modelled_as, host_backing, model_counter,
 * kvm_statistic, model, kernel, status (agree, differ, explained, info), note.
 */
import { stringify } from 'csv-stringify/sync';
import type { ValidationReport } from './validationReport.js';

export const VALIDATION_COLUMNS = [
  'trace',
  'scenario',
  'modelled_as',
  'host_backing',
  'model_counter',
  'kvm_statistic',
  'model',
  'kernel',
  'status',
  'note',
] as const;

/** The CSV text of `report`. */
export function validationToCsv(report: ValidationReport): string {
  const rows = report.rows.map((r) => [
    report.trace,
    report.scenario,
    report.modelledAs,
    report.hostBacking,
    r.model,
    r.kernel,
    r.modelValue,
    r.kernelValue,
    r.status,
    r.note,
  ]);
  return stringify(rows, { header: true, columns: [...VALIDATION_COLUMNS] });
}
