/**
 * The validation results model every exporter reads: the run's setting, the
 * host, the rows and the verdict. Plain data.
 */
import type { ValidationRow } from './compareCounters.js';

export interface ValidationReport {
  /** Trace name and path as given. */
  trace: string;
  /** The scenario as given on the command line. */
  scenario: string;
  /** The scenario the model replayed (the host's policies for `auto` dimensions). */
  modelledAs: string;
  /** Host backing of the real guest (`4k`, `thp`, `hugetlb-2m`, `hugetlb-1g`). */
  hostBacking: string;
  /** `describeHost` lines, then what the runner found (guest page size, pre-fault capability...). */
  host: string[];
  /** How the run was adapted to the host, and what it cannot compare here. */
  notes: string[];
  rows: ValidationRow[];
  /** True when every pair that must agree agrees. */
  agree: boolean;
}

/** Status words as printed. */
export const STATUS_TEXT = { agree: 'agree', differ: 'DIFFER', explained: 'differs (explained)', info: 'info' } as const;

/** One-line verdict. */
export function verdictText(report: ValidationReport): string {
  const differ = report.rows.filter((r) => r.status === 'differ').length;
  const explained = report.rows.filter((r) => r.status === 'explained').length;
  const exact = report.rows.filter((r) => r.status === 'agree').length;
  if (differ > 0) return `FAIL: ${differ} counter(s) that should agree differ (${exact} agree, ${explained} differ for known reasons)`;
  return `OK: ${exact} counter(s) agree exactly, ${explained} differ for known reasons`;
}

/** A plain-text table for the terminal: model, kernel, both values, status. */
export function validationTable(report: ValidationReport): string {
  const head = ['model counter', 'model', 'kernel', 'KVM statistic', 'status'];
  const body = report.rows.map((r) => [r.model, String(r.modelValue), String(r.kernelValue), r.kernel, STATUS_TEXT[r.status]]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (c === 1 || c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const notes = report.rows.filter((r) => r.status === 'explained').map((r) => `  ${r.kernel}: ${r.note}`);
  return [
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    ...(notes.length > 0 ? ['', 'Known differences:', ...[...new Set(notes)]] : []),
    '',
    verdictText(report),
    '',
  ].join('\n');
}
