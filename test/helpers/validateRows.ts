/** Run small traces through `validateTrace` (model and real KVM) in tests. */
import { readHostFacts } from '../../src/validate/hostFacts.js';
import { validateTrace } from '../../src/validate/validateTrace.js';
import type { ValidationReport } from '../../src/validate/validationReport.js';
import { parseMatrix, parseMemslots } from '../../src/replay/parseMatrix.js';
import { traceFromText } from './traceFromText.js';

const HEADER = 'vcpu,op,gpa,size,x_slot\n';
export const row = (vcpu: number, op: string, gpa: number, size: number | '' = 8, slot: number | '' = ''): string =>
  `${vcpu},${op},0x${gpa.toString(16)},${size},${slot}`;

/**
 * Two 4 MiB data slots; pages of both touched; slot 1 deleted; slot 0's page
 * re-read plus a new one; slot 1 added back and re-read: the memslot-deletion
 * trace the validate tests compare with and without the slot zap-all quirk.
 */
export const TWO_SLOT_DELETE_ROWS: string[] = (() => {
  const PAGE = 4096;
  const M4 = 0x400000;
  return [
    row(0, 'SLOT_ADD', 0, M4, 0),
    row(0, 'SLOT_ADD', M4, M4, 1),
    row(0, 'W', 1 * PAGE),
    row(0, 'W', M4 + PAGE),
    row(0, 'R', M4 + 2 * PAGE),
    row(0, 'SLOT_DEL', M4, '', 1),
    row(0, 'R', 1 * PAGE),
    row(0, 'R', 2 * PAGE),
    row(0, 'SLOT_ADD', M4, M4, 1),
    row(0, 'R', M4 + PAGE),
  ];
})();

/** Validate `rows` under single-valued flags; the report (a skip or failure throws). */
export async function validateRows(
  rows: string[],
  flags: Record<string, string>,
  memslots: string[] = [],
  huge2m: 'thp' | 'hugetlbfs' = 'thp',
): Promise<ValidationReport> {
  const trace = await traceFromText(HEADER + rows.join('\n') + '\n');
  const [scenario] = parseMatrix({ prefault: 'none', ...flags });
  const outcome = validateTrace({
    trace,
    scenario,
    layout: { memslots: parseMemslots(memslots), defaultSlotAlignBytes: 1 << 30 },
    huge2m,
    facts: readHostFacts(),
  });
  if (outcome.kind !== 'report') throw new Error(`validate: ${outcome.kind}: ${outcome.kind === 'skipped' ? outcome.reason : outcome.message}`);
  return outcome.report;
}

/** Model and kernel values of the row whose KVM statistic is `kernel`. */
export function values(report: ValidationReport, kernel: string): [number | string, number | string] {
  const r = report.rows.find((x) => x.kernel === kernel);
  if (!r) throw new Error(`no row ${kernel}`);
  return [r.modelValue, r.kernelValue];
}
