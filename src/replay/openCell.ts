/**
 * The start of every cell, before its trace runs: the engine for the
 * scenario, the memslots of the layout (or the default slot), and the
 * scenario's `--prefault` on vCPU 0. The deterministic replay continues with
 * the trace (replayCell.ts); the per-vCPU setup does the same on a shared
 * stage-2 and hands it to the vCPU workers (perVcpu/setupPerVcpuCell.ts), so
 * both start from the same rules.
 */
import { Op } from '../trace/ops.js';
import type { Trace } from '../trace/traceEvents.js';
import { forEachEventChunk } from '../trace/eventChunks.js';
import { countsForTouchedEnd, eventEndGpa } from '../trace/touchedEnd.js';
import { InputError } from '../errors.js';
import { type Level, PAGE_SIZE_BYTES } from '../mmu/level.js';
import { gpaToGfn } from '../mmu/address.js';
import { MemslotError, type Memslot } from '../mmu/memslots.js';
import type { StolenBits } from '../mmu/stolenBits.js';
import type { Stage2Backing, VmOptions } from '../mmu/vmOptions.js';
import { Engine } from './engine.js';
import { ReachRing } from './reachRing.js';
import { accessPathOptionsFor, flushFlagsFor, vmOptionsFor } from './vmOptions.js';
import { issuePrefault } from './issuePrefault.js';
import type { HostEventContext } from './hostEvent.js';
import { prefaultModeOf, type MemslotSpec, type Scenario } from './scenario.js';

/** The memory layout of a run, fixed before replay. */
export interface Layout {
  /** Memslots from `--memslot`/`--vm`; when empty and the trace declares none, one default slot. */
  memslots: MemslotSpec[];
  /** Alignment of the default slot's size (1 GiB). */
  defaultSlotAlignBytes: number;
}

/** A cell after steps 1 and 2: what the trace's events run against. */
export interface OpenedCell extends HostEventContext {
  engine: Engine;
  vmOptions: VmOptions;
}

/**
 * The memslot a spec describes, under the scenario's default backing. A slot
 * that does not say whether it is private gets the arch's default
 * (`ArchProfile.privateByDefault`: TD memory is guest_memfd on x86-tdx).
 */
export function slotFromSpec(spec: MemslotSpec, index: number, backing: Level, privateByDefault = false): Memslot {
  const baseGfn = gpaToGfn(spec.gpa);
  return {
    id: spec.id ?? index,
    baseGfn,
    npages: spec.sizeBytes / PAGE_SIZE_BYTES,
    backing: spec.backing ?? backing,
    hvaGfn: baseGfn + (spec.hvaOffsetBytes ?? 0) / PAGE_SIZE_BYTES,
    readOnly: spec.readOnly ?? false,
    dirtyLogging: spec.dirtyLogging ?? false,
    private: spec.private ?? privateByDefault,
    pfnmap: spec.pfnmap ?? 'none',
  };
}

/**
 * The cell's memslots before the trace runs: the layout's, else (when the
 * trace declares none) one slot from 0 over everything touched (stolen bits
 * aside), rounded up to 1 GiB. Each with the source its errors name.
 */
export function cellMemslots(trace: Trace, scenario: Scenario, layout: Layout, vmOptions: VmOptions): { slot: Memslot; source: string }[] {
  const privateByDefault = vmOptions.profile.privateByDefault;
  const slots = layout.memslots.map((spec, index) => ({ slot: slotFromSpec(spec, index, scenario.backing, privateByDefault), source: spec.source }));
  if (layout.memslots.length === 0 && !trace.declaresSlots) {
    const align = layout.defaultSlotAlignBytes;
    const touched = vmOptions.stolen.any ? touchedEndWithout(trace, vmOptions.stolen) : trace.touchedEndGpa;
    const sizeBytes = Math.max(align, Math.ceil(touched / align) * align);
    slots.push({ slot: slotFromSpec({ id: 0, gpa: 0, sizeBytes, source: '' }, 0, scenario.backing, privateByDefault), source: 'the default memslot' });
  }
  return slots;
}

/**
 * Steps 1 and 2 of a cell, on a fresh engine (a shared stage-2 when
 * `backing` is given; reach curves per vCPU when `tlbReach`, on a reach
 * thread when `reachThread`): memslots (`InputError` naming the slot's source for
 * one the arch refuses), then the scenario's pre-fault on vCPU 0, before the
 * guest runs.
 */
export function openCell(trace: Trace, scenario: Scenario, layout: Layout, backing?: Stage2Backing, tlbReach = false, reachThread = false): OpenedCell {
  const vcpuCount = Math.max(1, trace.vcpuCount);
  const vmOptions = vmOptionsFor(scenario, addressEnd(trace, layout));
  // The curves on a thread of their own when the caller has a core for it (`reachThreadFits`).
  const reachRing = tlbReach && reachThread ? ReachRing.start(vcpuCount) : undefined;
  try {
    const engine = new Engine({
      vm: vmOptions,
      vcpuCount,
      flush: flushFlagsFor(scenario),
      backing,
      ...accessPathOptionsFor(scenario),
      reach: tlbReach,
      reachRing,
    });
    return setUpCell(engine, trace, scenario, layout, vmOptions);
  } catch (error) {
    reachRing?.close();
    throw error;
  }
}

/** `openCell` once the engine exists: memslots, then the pre-fault. */
function setUpCell(engine: Engine, trace: Trace, scenario: Scenario, layout: Layout, vmOptions: VmOptions): OpenedCell {
  const vm = engine.vm;
  const privateByDefault = vmOptions.profile.privateByDefault;
  const cell: OpenedCell = {
    engine,
    vmOptions,
    vm,
    prefault: prefaultModeOf(scenario),
    vcpuStats: engine.vcpuStats,
    slotAt: (id, gpa, sizeBytes) => slotFromSpec({ id, gpa, sizeBytes, source: '' }, id, scenario.backing, privateByDefault),
    prefaultCalls: [],
    atPaths: engine.paths,
    ioctlErrors: [],
  };
  // No access touches a frame past the trace's touched end (its raw GPAs bound the stripped ones):
  // pre-faulted frames there stay unused without a pass over the accesses (prefaultUse.ts).
  vm.prefaulted.limitTouches(Math.ceil(trace.touchedEndGpa / PAGE_SIZE_BYTES));
  for (const { slot, source } of cellMemslots(trace, scenario, layout, vmOptions)) {
    try {
      vm.addSlot(slot);
    } catch (error) {
      if (error instanceof MemslotError) throw new InputError(`${source}: ${error.message} (scenario ${scenario.name})`);
      throw error;
    }
  }
  const prefault = scenario.prefault;
  const vcpu0 = engine.vcpuStats[0];
  if (prefault.kind === 'all') {
    for (const slot of [...vm.memslots.all()]) {
      issuePrefault(vm, cell.prefault, vcpu0, 0, 0, slot.baseGfn * PAGE_SIZE_BYTES, slot.npages * PAGE_SIZE_BYTES, cell.prefaultCalls);
    }
  } else if (prefault.kind === 'ranges') {
    for (const range of prefault.ranges) issuePrefault(vm, cell.prefault, vcpu0, 0, 0, range.gpa, range.sizeBytes, cell.prefaultCalls);
  }
  return cell;
}

/** End of the highest range the trace or the layout names (memslots included). */
export function addressEnd(trace: Trace, layout: Layout): number {
  let end = trace.touchedEndGpa;
  for (const spec of layout.memslots) end = Math.max(end, spec.gpa + spec.sizeBytes);
  // Only a trace with SLOT_ADD rows (`declaresSlots`, set by every reader) is read for this, streamed or not.
  if (trace.declaresSlots) {
    forEachEventChunk(trace, (ev) => {
      for (let i = 0; i < ev.count; i++) if (ev.op[i] === Op.SLOT_ADD) end = Math.max(end, ev.gpa[i] + ev.sizeBytes[i]);
    });
  }
  return end;
}

/**
 * End of the touched range with stolen bits cleared (the default slot must
 * not reach them). When the trace touches nothing at or above the lowest
 * stolen bit, clearing changes nothing: the trace's own touched end, as for
 * a VM without stolen bits, and no pass over the trace.
 */
function touchedEndWithout(trace: Trace, stolen: StolenBits): number {
  if (trace.touchedEndGpa <= 2 ** stolen.lowestGpaBit) return trace.touchedEndGpa;
  let end = 0;
  forEachEventChunk(trace, (ev) => {
    for (let i = 0; i < ev.count; i++) {
      if (!countsForTouchedEnd(ev.op[i])) continue;
      const lastGfn = stolen.strip(gpaToGfn(eventEndGpa(ev.gpa[i], ev.sizeBytes[i]) - 1));
      end = Math.max(end, (lastGfn + 1) * PAGE_SIZE_BYTES);
    }
  });
  return end;
}
