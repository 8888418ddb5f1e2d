/**
 * The deterministic start of a per-vCPU cell, on the main thread: the same
 * `openCell` as the deterministic replay (memslots, the scenario's
 * `--prefault` on vCPU 0), run directly on a fresh shared stage-2 sized for
 * the memslots, before any worker starts (so no lock is needed).
 */
import { Level, pagesPerLevel } from '../../mmu/level.js';
import type { Memslot } from '../../mmu/memslots.js';
import { RESERVED_TABLES } from '../../mmu/entryStore.js';
import { NO_MMU_LOCK } from '../../mmu/mmuLock.js';
import type { Trace, TraceEvents } from '../../trace/traceEvents.js';
import type { PrefaultFrames } from '../../mmu/prefaultFrames.js';
import type { StolenBits } from '../../mmu/stolenBits.js';
import { addressEnd, cellMemslots, openCell, type Layout } from '../openCell.js';
import { cellResult } from '../replayCell.js';
import { CURVE_POINTS, type CellResult } from '../results.js';
import { vmOptionsFor } from '../vmOptions.js';
import type { Scenario } from '../scenario.js';
import { SharedEntryStore } from './sharedEntryStore.js';
import { FlushRequests } from './flushRequests.js';
import type { PerVcpuCell } from './perVcpuCell.js';

/** Largest shared table allowed, in table pages (2 KiB each: 1 GiB of address space, committed only as touched). */
export const MAX_SHARED_TABLES = 1 << 19;

export interface PerVcpuSetup {
  cell: PerVcpuCell;
  /** The setup's result: pre-fault counters on vCPU 0, VM counters after pre-fault, its pre-fault calls. */
  base: CellResult;
  /** Per vCPU, the indices of its events in file order (views of one shared buffer). */
  indices: Uint32Array[];
  /** The setup's pre-faulted frames (the scenario's `--prefault`), for `prefault_pages_unused` (main thread only). */
  prefaulted: PrefaultFrames;
  /** The trace's events and stolen bits, for that count's file-order pass. */
  events: TraceEvents;
  stolen: StolenBits;
}

/** Set up `trace` x `scenario` for a per-vCPU replay. Throws `InputError` as `replayCell` does for a bad layout. */
export function setupPerVcpuCell(trace: Trace, scenario: Scenario, layout: Layout, tlbReach = false): PerVcpuSetup {
  const started = performance.now();
  const vcpuCount = Math.max(1, trace.vcpuCount);
  const vmOptions = vmOptionsFor(scenario, addressEnd(trace, layout));
  const slots = cellMemslots(trace, scenario, layout, vmOptions).map((s) => s.slot);
  // Twice the bound: tables frozen by a huge leaf replacing them are never reused.
  const capacity = Math.min(MAX_SHARED_TABLES, RESERVED_TABLES + 2 * tableBound(slots, vmOptions.rootLevel) + vcpuCount * vmOptions.rootLevel);
  const buffer = SharedEntryStore.allocate(vmOptions.rootLevel, capacity);
  const opened = openCell(trace, scenario, layout, { store: new SharedEntryStore(buffer), lock: NO_MMU_LOCK });
  const memslots = opened.vm.memslots.all().map((slot) => ({ ...slot }));
  const base = cellResult(opened, trace, scenario, new Array<number>(CURVE_POINTS + 1).fill(0), performance.now() - started);
  const cell: PerVcpuCell = {
    scenario,
    memslots,
    vcpuCount,
    table: buffer,
    requests: FlushRequests.allocate(vcpuCount),
    gate: new SharedArrayBuffer(4),
    tlbReach,
  };
  return { cell, base, indices: splitByVcpu(trace, vcpuCount), prefaulted: opened.vm.prefaulted, events: trace.events, stolen: vmOptions.stolen };
}

/**
 * Table pages a fault can need below the root: one per frame of each level
 * from 2M up to the root's children that overlaps a memslot (faults map only
 * inside memslots, and memslots are fixed in this mode).
 */
export function tableBound(memslots: readonly Memslot[], rootLevel: Level): number {
  let bound = 0;
  for (const slot of memslots) {
    const last = slot.baseGfn + slot.npages - 1;
    for (let level = Level.L2M; level < rootLevel; level++) {
      const pages = pagesPerLevel(level);
      bound += Math.floor(last / pages) - Math.floor(slot.baseGfn / pages) + 1;
    }
  }
  return bound;
}

/** Event indices grouped by vCPU, each group in file order, in one shared buffer. */
function splitByVcpu(trace: Trace, vcpuCount: number): Uint32Array[] {
  const ev = trace.events;
  const counts = new Uint32Array(vcpuCount);
  for (let i = 0; i < ev.count; i++) counts[ev.vcpu[i]]++;
  const all = new Uint32Array(new SharedArrayBuffer(Math.max(1, ev.count) * 4));
  const groups: Uint32Array[] = [];
  let offset = 0;
  for (let v = 0; v < vcpuCount; v++) {
    groups.push(all.subarray(offset, offset + counts[v]));
    offset += counts[v];
  }
  const fill = new Uint32Array(vcpuCount);
  for (let i = 0; i < ev.count; i++) {
    const v = ev.vcpu[i];
    groups[v][fill[v]++] = i;
  }
  return groups;
}
