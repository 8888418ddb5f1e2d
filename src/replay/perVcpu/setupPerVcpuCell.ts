/**
 * The deterministic start of a per-vCPU cell, on the main thread: memslots
 * and the scenario's `--prefault` go through the ordinary model
 * (`replayCell` on an empty event list, so the layout and pre-fault rules
 * stay those of the deterministic replay), then its stage-2 leaves are copied
 * into a fresh `SharedPageTable` sized for the memslots.
 */
import { Level, pagesPerLevel } from '../../mmu/level.js';
import type { Memslot } from '../../mmu/memslots.js';
import { allocateTraceEvents, type Trace } from '../../trace/traceEvents.js';
import type { CellResult } from '../results.js';
import { replayCell, type Layout } from '../replayCell.js';
import type { Scenario } from '../scenario.js';
import { SharedPageTable } from './sharedPageTable.js';
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
}

/** Set up `trace` x `scenario` for a per-vCPU replay. Throws `InputError` as `replayCell` does for a bad layout. */
export function setupPerVcpuCell(trace: Trace, scenario: Scenario, layout: Layout): PerVcpuSetup {
  const vcpuCount = Math.max(1, trace.vcpuCount);
  let memslots: Memslot[] = [];
  let leaves: number[] = [];
  let rootLevel = Level.L512G;
  let tablesInUse = 1;
  const empty: Trace = { ...trace, events: allocateTraceEvents(0) };
  const base = replayCell(empty, scenario, layout, {
    inspect: (engine) => {
      const table = engine.vm.tables[0];
      rootLevel = table.rootLevel;
      tablesInUse = table.tablesInUse;
      memslots = engine.vm.memslots.all().map((slot) => ({ ...slot }));
      const found: number[] = [];
      table.walkLeaves(0, pagesPerLevel(rootLevel) * 512, (_t, _s, level, gfn, word) => found.push(gfn, level, word));
      leaves = found;
    },
  });
  const capacity = Math.min(MAX_SHARED_TABLES, tablesInUse + tableBound(memslots, rootLevel) + vcpuCount * rootLevel + 1);
  const buffer = SharedPageTable.allocate(rootLevel, capacity);
  const table = new SharedPageTable(buffer);
  for (let i = 0; i < leaves.length; i += 3) table.installLeaf(leaves[i], leaves[i + 1] as Level, leaves[i + 2]);
  const cell: PerVcpuCell = {
    scenario,
    memslots,
    vcpuCount,
    table: buffer,
    requests: FlushRequests.allocate(vcpuCount),
    gate: new SharedArrayBuffer(4),
  };
  return { cell, base, indices: splitByVcpu(trace, vcpuCount) };
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
