/**
 * What every vCPU worker of one cell shares: plain data and
 * SharedArrayBuffers, so it crosses to Piscina workers by structured clone
 * with the buffers shared, not copied.
 */
import type { Memslot } from '../../mmu/memslots.js';
import type { TraceEvents } from '../../trace/traceEvents.js';
import type { Scenario } from '../scenario.js';
import type { PrefaultCallRecord } from '../results.js';
import type { ReachCurveData } from '../../tlb/reachCurve.js';

export interface PerVcpuCell {
  scenario: Scenario;
  /** The memslots after setup; fixed for the whole replay (slot ops are refused in this mode). */
  memslots: Memslot[];
  vcpuCount: number;
  /** `SharedEntryStore` buffer (its header holds the root level and the mmu_lock). */
  table: SharedArrayBuffer;
  /** `FlushRequests` buffer. */
  requests: SharedArrayBuffer;
  /** Start gate: one Int32 counting the workers that have arrived. */
  gate: SharedArrayBuffer;
  /** Each vCPU feeds a reach curve (`CellTask.tlbReach`). */
  tlbReach: boolean;
}

/** One vCPU's task: its cell, the trace (shared columns) and the indices of its events, in file order. */
export interface VcpuTask {
  cell: PerVcpuCell;
  vcpu: number;
  /** The trace's report name (test-only fault injection matches it). */
  traceName: string;
  tracePath: string;
  events: TraceEvents;
  /** Indices into `events` of this vCPU's events (a view of a shared buffer). */
  indices: Uint32Array;
}

/** Plain counters of one vCPU worker, returned as data. */
export interface VcpuRunCounters {
  vcpu: number;
  /** `VcpuStats` fields. */
  vcpuCounters: Record<string, number>;
  /** `VmStats` deltas made by this vCPU (pages_* can be negative: zaps of others' leaves). */
  vmDeltas: Record<string, number>;
  installRaces: number;
  mailboxOverflows: number;
  /** This vCPU's KVM_PRE_FAULT_MEMORY calls (PREFAULT rows), and the event index of each, for file order. */
  prefaultCalls: PrefaultCallRecord[];
  prefaultEventIndices: number[];
  /** Cumulative faults of this vCPU after each hundredth of its own events (101 points). */
  faultCurve: number[];
  /** Frames this vCPU's PREFAULT rows newly mapped: per row, its event index and flat `firstGfn, frames` pairs (`PrefaultFrames.log`). */
  prefaultMarks: { index: number; runs: number[] }[];
  /** This vCPU's reach curve (when the cell feeds one). */
  tlbReach?: ReachCurveData;
  elapsedMs: number;
  /** pKVM: the hypercalls of this worker's leaf changes, by kind (no teardown). */
  hypercallsByKind?: Record<string, number>;
}

/** A vCPU worker's answer: counters, or the error as data (never thrown across threads). */
export type VcpuOutcome = { ok: true; counters: VcpuRunCounters } | { ok: false; vcpu: number; kind: 'input' | 'crash'; message: string };
