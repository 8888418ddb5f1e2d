/**
 * The results model: what a replay produces and every exporter reads. Plain
 * data (it crosses from workers by structured clone and is stored in run.json).
 */
import type { Scenario } from './scenario.js';
import type { VcpuCounter, VmCounter } from '../mmu/stats.js';
import type { CostEstimates } from './estimateCosts.js';

/** Points of a fault curve after its first (0): one per hundredth of the trace's events. */
export const CURVE_POINTS = 100;

/** One vCPU's counters, plus the derived `faults`. */
export type VcpuCounters = Record<VcpuCounter | 'faults', number>;
export type VmCounters = Record<VmCounter, number>;

/** One KVM_PRE_FAULT_MEMORY ioctl as issued and answered. */
export interface PrefaultCallRecord {
  vcpu: number;
  /** Source line of the PREFAULT row, or 0 for `--prefault`. */
  line: number;
  gpa: number;
  sizeBytes: number;
  /** 0 or -errno. */
  result: number;
  /** Bytes left unprocessed when it returned. */
  remainingBytes: number;
}

/** A host ioctl of the trace that KVM refused (the run went on, the VM unchanged; `ioctl_errors`). */
export interface IoctlErrorRecord {
  /** Source line of the row. */
  line: number;
  /** The row's op, e.g. `DIRTY_LOG_ON`. */
  op: string;
  /** The memslot it named. */
  slot: number;
  /** -errno, e.g. -22 (EINVAL). */
  result: number;
}

/** The result of one cell (trace x scenario). */
export interface CellResult {
  trace: string;
  scenario: Scenario;
  /** Indexed by vCPU id. */
  vcpus: VcpuCounters[];
  /** Sum over vCPUs. */
  total: VcpuCounters;
  vm: VmCounters;
  prefaultCalls: PrefaultCallRecord[];
  /** Refused host ioctls, in trace order (only when there were some). */
  ioctlErrors?: IoctlErrorRecord[];
  /** pKVM: hypercalls by kind (arch pkvm, pkvm-pmd only). */
  hypercallsByKind?: Record<string, number>;
  /** Cumulative guest faults after each hundredth of the trace's events (101 points, from 0). */
  faultCurve: number[];
  /** Replay wall time; never written to CSV (timings are not deterministic). */
  elapsedMs: number;
  /**
   * Exact misses of fully associative LRU TLBs of `entries` sizes (src/tlb/reachCurve.ts),
   * summed over vCPUs; absent when the run skips it (`--no-tlb-reach`, `ReplayOptions.tlbReach`). Written to tlb-reach.csv.
   */
  tlbReach?: { entries: number[]; misses: number[] };
  /** Estimated stage-2 time in ns by part (src/replay/estimateCosts.ts), from the counters and the cost profile. */
  estimates?: CostEstimates;
}

/**
 * Why a cell failed: bad input found during replay (the run exits 2), a
 * crash (exception, worker death, out of memory), its `--timeout`, or Ctrl-C.
 */
export type CellFailureKind = 'input' | 'crash' | 'timeout' | 'aborted';

/** A cell either produced a result or failed; errors travel as data. */
export type CellOutcome =
  | { ok: true; result: CellResult }
  | { ok: false; trace: string; scenario: Scenario; error: { kind: CellFailureKind; message: string } };

/**
 * One tinybench task's raw timings (bench/run.ts), kept so that two runs can
 * be compared with a rank test rather than by their means.
 */
export interface BenchmarkSamples {
  /** Task name; the key that matches a task between two runs. */
  name: string;
  /** Guest accesses replayed by one iteration (throughput = accesses / latency). */
  accessesPerIteration: number;
  /** Time of each iteration, in ms (ascending: tinybench sorts them); nightly's quick bench measures process CPU time (src/replay/quickBench.ts). */
  samplesMs: number[];
}
