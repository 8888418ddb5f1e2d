/** Build a validated in-memory trace from CSV text, through the real reader. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsvTrace } from '../../src/trace/csvTraceReader.js';
import { parseMatrix, type RawMatrixOptions } from '../../src/replay/parseMatrix.js';
import { replayCell, type ReplayDebug } from '../../src/replay/replayCell.js';
import type { Trace } from '../../src/trace/traceEvents.js';
import type { CellResult } from '../../src/replay/results.js';
import type { MemslotSpec } from '../../src/replay/scenario.js';

export async function traceFromText(csv: string, name = 'test'): Promise<Trace> {
  const dir = mkdtempSync(join(tmpdir(), 'mmubench-test-'));
  const path = join(dir, `${name}.csv`);
  writeFileSync(path, csv);
  // A CSV trace is read whole, so its file can go at once (tests run thousands of these).
  try {
    return await readCsvTrace(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CSV rows `vcpu,op,gpa,size` for one access of `op` to each GPA. */
export function accessRows(op: string, gpas: readonly number[], vcpu = 0): string {
  return gpas.map((gpa) => `${vcpu},${op},0x${gpa.toString(16)},8`).join('\n');
}

/**
 * Replay `csv` under the single scenario given by `matrix` (every flag one
 * value; unspecified prefault means none) and return the cell's result.
 * `inspect` sees the engine after the last event, `afterEvent` after each one.
 */
export async function replayText(
  csv: string,
  matrix: RawMatrixOptions = {},
  memslots: Omit<MemslotSpec, 'source'>[] = [],
  inspect?: ReplayDebug['inspect'],
  afterEvent?: ReplayDebug['afterEvent'],
): Promise<CellResult> {
  const trace = await traceFromText(csv);
  const scenarios = parseMatrix({ prefault: 'none', ...matrix });
  if (scenarios.length !== 1) throw new Error(`expected one scenario, got ${scenarios.length}`);
  const specs = memslots.map((m, i) => ({ ...m, source: `test memslot ${i}` }));
  // Every test replay also checks TLB coherence after each event.
  return replayCell(trace, scenarios[0], { memslots: specs, defaultSlotAlignBytes: 1 << 30 }, { checkCoherence: true, inspect, afterEvent });
}
