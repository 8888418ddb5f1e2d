/**
 * A small fixed run for the report exporters' tests: two tiny traces under
 * prefault=none and prefault=all (4K backing), one failed cell, three
 * benchmark tasks and three history entries. Every number is hand-checkable:
 *
 * - `boot`: reads/writes of 4 distinct 4 KiB pages (0x0, 0x1000, 0x2000,
 *   0x200000), then 0x0 again: 4 faults without pre-population, 0 with it.
 * - `unmap`: touches 0x0 and 0x1000, UNMAPs [0x0, 0x1000), touches both
 *   again: 3 faults without pre-population (0x0 twice), 1 with it (0x0
 *   after the unmap). The x86 unmap flush is a full flush: 2 entries
 *   flushed, 1 of them collateral (0x1000), whose re-touch is 1 refill miss.
 *
 * One 4 MiB memslot at 0; with prefault=all every cell maps its 1024 pages.
 *
 * Estimates are priced with FIXTURE_COSTS (round numbers: a 4K fault 1 µs, a
 * 4K pre-fault step 0.1 µs, a walk reference 10 ns): boot with prefault=none
 * costs 4 faults = 4000 ns plus its walks; prefault=all pre-faults 1024
 * frames = 102400 ns. The boot cells carry a hand-made reach curve
 * (FIXTURE_REACH: not the model's; the engine does not feed curves yet).
 */
import { parseMatrix } from '../../src/replay/parseMatrix.js';
import type { HistoryEntry } from '../../src/report/history.js';
import type { BenchmarkSamples, CellOutcome, CellResult } from '../../src/replay/results.js';
import type { RunModel } from '../../src/report/runJson.js';
import { replayText } from './traceFromText.js';
import { estimateCosts } from '../../src/replay/estimateCosts.js';
import { DEFAULT_COSTS, type CostProfile } from '../../src/replay/costProfile.js';

/** Round prices, so the estimates are checkable by hand. */
export const FIXTURE_COSTS: CostProfile = {
  ...DEFAULT_COSTS.profile,
  fault_missing_4k: 1000,
  fault_missing_2m: 2000,
  fault_missing_1g: 4000,
  fault_permission: 500,
  fault_spurious: 500,
  fault_mmio: 20000,
  prefault_4k: 100,
  prefault_2m: 200,
  prefault_1g: 400,
  walk_ref: 10,
  tlb_miss: 0,
  flush_range: 1000,
  flush_full: 1000,
  flush_ipi: 1000,
  hypercall: 1000,
  eager_split: 2000,
};

/** A hand-made reach curve: misses at 16..128 entries (the knee at 64). */
export const FIXTURE_REACH = { entries: [16, 32, 64, 128], misses: [40, 20, 5, 5] };

export const BOOT_CSV = 'vcpu,op,gpa,size\n0,R,0x0,8\n0,R,0x1000,8\n0,W,0x2000,8\n0,R,0x200000,8\n0,R,0x0,8\n';
export const UNMAP_CSV = 'vcpu,op,gpa,size\n0,R,0x0,8\n0,R,0x1000,8\n0,UNMAP,0x0,0x1000\n0,R,0x0,8\n0,R,0x1000,8\n';

/** One 4 MiB memslot at 0, so prefault=all maps 1024 pages (fast). */
export const FIXTURE_MEMSLOTS = [{ gpa: 0, sizeBytes: 4 << 20 }];

/** Replay `csv` under backing=4k and `prefault`, named `trace`. */
async function cell(csv: string, trace: string, prefault: 'none' | 'all'): Promise<CellResult> {
  const result = await replayText(csv, { backing: '4k', prefault }, FIXTURE_MEMSLOTS);
  // Timings are not deterministic: fixed here so exporters' output is.
  const cell: CellResult = { ...result, trace, elapsedMs: 1, estimates: estimateCosts(result, FIXTURE_COSTS) };
  return trace === 'boot' ? { ...cell, tlbReach: FIXTURE_REACH } : cell;
}

export const FIXTURE_BENCHMARKS: BenchmarkSamples[] = [
  { name: 'replay boot-seq x86-tdp', accessesPerIteration: 1_000_000, samplesMs: [100, 125, 125, 150] },
  { name: 'replay hotcold x86-tdp', accessesPerIteration: 500_000, samplesMs: [100, 100, 200, 200] },
];

/** Three nightly runs of the same matrix, oldest first. */
export const FIXTURE_HISTORY: HistoryEntry[] = [
  {
    report: '2026-11-20T02-00-00Z',
    startedAt: '2026-11-20T02:00:00.000Z',
    version: '0.1.0',
    cells: 4,
    failedCells: 0,
    matrix: 'abc',
    headline: { faults: 8, tlb_misses: 10, huge_coverage_pct: 0 },
    throughput: { 'replay boot-seq x86-tdp': 8e6 },
  },
  {
    report: '2026-11-21T02-00-00Z',
    startedAt: '2026-11-21T02:00:00.000Z',
    version: '0.1.0',
    cells: 4,
    failedCells: 0,
    matrix: 'abc',
    headline: { faults: 8, tlb_misses: 12, huge_coverage_pct: 0 },
    throughput: { 'replay boot-seq x86-tdp': 1e7 },
  },
  {
    report: '2026-11-22T02-00-00Z',
    startedAt: '2026-11-22T02:00:00.000Z',
    version: '0.1.0',
    cells: 4,
    failedCells: 0,
    matrix: 'abc',
    headline: { faults: 6, tlb_misses: 10, huge_coverage_pct: 0 },
    throughput: { 'replay boot-seq x86-tdp': 6e6 },
  },
];

/** The fixed run: 4 cells with results (boot none/all, unmap none/all), then one timed-out cell. */
export async function fixtureRun(): Promise<RunModel> {
  const results = [
    await cell(BOOT_CSV, 'boot', 'none'),
    await cell(BOOT_CSV, 'boot', 'all'),
    await cell(UNMAP_CSV, 'unmap', 'none'),
    await cell(UNMAP_CSV, 'unmap', 'all'),
  ];
  const [noneScenario] = parseMatrix({ backing: '4k', prefault: 'none' });
  const outcomes: CellOutcome[] = [
    ...results.map((result) => ({ ok: true as const, result })),
    { ok: false, trace: 'huge <trace>', scenario: noneScenario, error: { kind: 'timeout', message: 'cell took longer than --timeout 5 s & was stopped' } },
  ];
  return {
    info: {
      tool: 'mmubench',
      version: '0.1.0',
      command: ['mmubench', 'run', 'boot.csv', 'unmap.csv', '--backing', '4k', '--out', 'r'],
      node: 'v20.0.0',
      startedAt: '2026-11-23T10:00:00.000Z',
      durationMs: 1234,
      threads: 2,
      traces: [
        { path: 'boot.csv', name: 'boot', events: 5, vcpus: 1 },
        { path: 'unmap.csv', name: 'unmap', events: 5, vcpus: 1 },
        { path: 'huge.csv', name: 'huge <trace>', events: 9, vcpus: 1 },
      ],
      scenarios: results.slice(0, 2).map((r) => r.scenario.name),
      costs: { source: 'fixture', host: 'hand-made round prices', profile: FIXTURE_COSTS },
    },
    outcomes,
  };
}
