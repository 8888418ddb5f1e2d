/**
 * Small, real run models for comparison tests: cells replayed from a tiny
 * trace (so every counter exists and is right), wrapped with fixed run info.
 */
import { replayText } from './traceFromText.js';
import type { RunModel } from '../../src/report/runJson.js';
import type { BenchmarkSamples, CellOutcome, CellResult } from '../../src/replay/results.js';

/** Three accesses on two vCPUs: 3 faults with 4K backing, fewer with 2M. */
export const TINY_TRACE = 'vcpu,op,gpa,size\n0,R,0x1000,8\n1,W,0x200000,8\n0,X,0x3000,4\n';

/** The tiny trace replayed under `backing` (prefault none), named `tiny`. */
export async function tinyCell(backing: '4k' | '2m'): Promise<CellResult> {
  const cell = await replayText(TINY_TRACE, { backing });
  return { ...cell, trace: 'tiny', elapsedMs: 0 };
}

/** A deep copy of `cell` with total counters replaced by `changes`. */
export function withTotals(cell: CellResult, changes: Record<string, number>): CellResult {
  const copy = structuredClone(cell);
  Object.assign(copy.total, changes);
  return copy;
}

/** A run of `cells` (and `benchmarks`) with fixed info. */
export function runOf(outcomes: (CellResult | CellOutcome)[], benchmarks?: BenchmarkSamples[]): RunModel {
  return {
    info: {
      tool: 'mmubench',
      version: '0.0.0-test',
      command: ['mmubench', 'test'],
      node: 'v20.0.0',
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 1,
      threads: 0,
      traces: [{ path: 'tiny.csv', name: 'tiny', events: 3, vcpus: 2 }],
      scenarios: [],
    },
    outcomes: outcomes.map((o) => ('ok' in o ? o : { ok: true as const, result: o })),
    ...(benchmarks === undefined ? {} : { benchmarks }),
  };
}
