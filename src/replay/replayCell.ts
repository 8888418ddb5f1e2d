/**
 * Replay one trace under one scenario, from a fresh VM, and return its
 * result. Pure: the result depends only on (trace events, scenario, layout).
 */
import { Op, OP_NAMES } from '../trace/ops.js';
import type { Trace, TraceEvents } from '../trace/traceEvents.js';
import { forEachEventChunk, openEventChunks } from '../trace/eventChunks.js';
import { InputError, located } from '../errors.js';
import { Level, PAGE_SIZE_BYTES } from '../mmu/level.js';
import { MemslotError, plainSlot, type Memslot } from '../mmu/memslots.js';
import { AccessKind } from '../mmu/vm.js';
import { preFault } from '../mmu/preFault.js';
import { clearDirtyLog, getDirtyLog } from '../mmu/dirtyLog.js';
import { VCPU_COUNTER_NAMES, VM_COUNTER_NAMES, VcpuStats } from '../mmu/stats.js';
import { gpaToGfn } from '../mmu/address.js';
import type { StolenBits } from '../mmu/stolenBits.js';
import { Engine } from './engine.js';
import { TLB_PRESETS, simpleGeometry } from '../tlb/tlbPresets.js';
import { vmOptionsFor } from './vmOptions.js';
import type { MemslotSpec, Scenario } from './scenario.js';
import type { CellResult, PrefaultCallRecord, VcpuCounters, VmCounters } from './results.js';

/** The memory layout of a run, fixed before replay. */
export interface Layout {
  /** Memslots from `--memslot`/`--vm`; when empty and the trace declares none, one default slot. */
  memslots: MemslotSpec[];
  /** Alignment of the default slot's size (1 GiB). */
  defaultSlotAlignBytes: number;
}

const CURVE_POINTS = 100;

/**
 * The memslot a spec describes, under the scenario's default backing. A slot
 * that does not say whether it is private gets the arch's default: TD memory
 * is guest_memfd on x86-tdx, ordinary memory elsewhere.
 */
export function slotFromSpec(spec: MemslotSpec, index: number, backing: Level, privateByDefault = false): Memslot {
  const baseGfn = gpaToGfn(spec.gpa);
  return {
    ...plainSlot(spec.id ?? index, baseGfn, spec.sizeBytes / PAGE_SIZE_BYTES, spec.backing ?? backing),
    hvaGfn: baseGfn + (spec.hvaOffsetBytes ?? 0) / PAGE_SIZE_BYTES,
    readOnly: spec.readOnly ?? false,
    dirtyLogging: spec.dirtyLogging ?? false,
    private: spec.private ?? privateByDefault,
    pfnmap: spec.pfnmap ?? 'none',
  };
}

/** Debug switches for tests; never set by the command line. */
export interface ReplayDebug {
  /** Check TLB coherence after every event; a violation throws. */
  checkCoherence?: boolean;
  /** Called with the engine after the last event, before the VM is destroyed (invariant checks). */
  inspect?: (engine: Engine) => void;
  /** Called with the engine and the event's index after every trace event (per-operation invariant checks). */
  afterEvent?: (engine: Engine, index: number) => void;
}

/** Replay `trace` under `scenario`. Throws `InputError` (located) for impossible rows. */
export function replayCell(trace: Trace, scenario: Scenario, layout: Layout, debug: ReplayDebug = {}): CellResult {
  const started = performance.now();
  const vcpuCount = Math.max(1, trace.vcpuCount);
  const vmOptions = vmOptionsFor(scenario, addressEnd(trace, layout));
  const engine = new Engine({
    vm: vmOptions,
    vcpuCount,
    tlb: scenario.tlb === 'simple' ? simpleGeometry(scenario.tlbEntries, scenario.tlbWays) : TLB_PRESETS[scenario.tlb],
    pwc: scenario.pwc,
    flush: { mode: scenario.flushMode, rangeFlush: scenario.rangeFlush, tlbiRange: scenario.tlbiRange, aliasFlush: scenario.aliasFlush },
    guestLevels: scenario.guestLevels,
  });
  const vm = engine.vm;
  const prefaultCalls: PrefaultCallRecord[] = [];
  const privateByDefault = vmOptions.profile.name === 'x86-tdx';
  const slotAt = (id: number, gpa: number, sizeBytes: number): Memslot =>
    slotFromSpec({ id, gpa, sizeBytes, source: '' }, id, scenario.backing, privateByDefault);

  // 1. Memslots: the layout, else (when the trace declares none) one slot from 0
  //    over everything touched (stolen bits aside), rounded up to 1 GiB.
  layout.memslots.forEach((spec, index) => {
    try {
      vm.addSlot(slotFromSpec(spec, index, scenario.backing, privateByDefault));
    } catch (error) {
      if (error instanceof MemslotError) throw new InputError(`${spec.source}: ${error.message} (scenario ${scenario.name})`);
      throw error;
    }
  });
  if (layout.memslots.length === 0 && !trace.declaresSlots) {
    const align = layout.defaultSlotAlignBytes;
    const touched = vmOptions.stolen.any ? touchedEndWithout(trace, vmOptions.stolen) : trace.touchedEndGpa;
    const size = Math.max(align, Math.ceil(touched / align) * align);
    vm.addSlot(slotAt(0, 0, size));
  }

  // 2. Scenario pre-fault on vCPU 0, before the guest runs.
  const prefault = scenario.prefault;
  if (prefault.kind === 'all') {
    for (const slot of [...vm.memslots.all()]) {
      issuePrefault(engine, scenario, 0, 0, slot.baseGfn * PAGE_SIZE_BYTES, slot.npages * PAGE_SIZE_BYTES, prefaultCalls);
    }
  } else if (prefault.kind === 'ranges') {
    for (const range of prefault.ranges) issuePrefault(engine, scenario, 0, 0, range.gpa, range.sizeBytes, prefaultCalls);
  }

  // 3. The trace, in order, chunk by chunk (a streamed trace never sits in
  //    memory whole). Guest accesses take the hot path (Op.R/W/X are
  //    AccessKind.Read/Write/Exec); the rest go to `hostEvent`.
  const faultCurve = [0];
  const step = trace.events.count / CURVE_POINTS;
  let nextSample = step;
  const checkCoherence = debug.checkCoherence === true;
  const afterEvent = debug.afterEvent;
  /** Debug checks after every event: replay one event per step. */
  const perEvent = checkCoherence || afterEvent !== undefined;
  const source = openEventChunks(trace);
  /** Events of the chunks before `ev`. */
  let before = 0;
  let ev: TraceEvents | undefined;
  let i = 0;
  try {
    for (ev = source.next(); ev !== undefined; before += ev.count, ev = source.next()) {
      const { count, op: ops, vcpu: vcpus, gpa: gpas, sizeBytes: sizes } = ev;
      // Until the next fault-curve sample (or the chunk's end), nothing but replay.
      for (i = 0; i < count; ) {
        const stop = perEvent ? i + 1 : Math.min(count, Math.max(i + 1, Math.ceil(nextSample) - before));
        while (i < stop) {
          i = engine.replayAccesses(ev, i, stop); // guest accesses, up to the next host event
          if (i < stop) {
            hostEvent(engine, scenario, ev, i, slotAt, prefaultCalls);
            i++;
          }
        }
        const done = before + i; // events replayed so far
        if (checkCoherence) {
          const problem = engine.checkCoherence();
          if (problem !== undefined) throw new Error(`${trace.path}:${ev.line[i - 1]}: TLB coherence violated after ${OP_NAMES[ops[i - 1]]}: ${problem}`);
        }
        afterEvent?.(engine, done - 1);
        while (done >= nextSample && faultCurve.length <= CURVE_POINTS) {
          faultCurve.push(totalFaults(engine.vcpuStats));
          nextSample += step;
        }
        if (faultCurve.length > CURVE_POINTS) nextSample = Infinity; // full: no more stops
      }
    }
  } catch (error) {
    if (error instanceof MemslotError && ev !== undefined) {
      const at = engine.batchIndex; // the event that failed: an access in a batch, or the host event after it
      throw new InputError(located(trace.path, ev.line[at], 'op', `${OP_NAMES[ev.op[at]]}: ${error.message}`));
    }
    throw error;
  } finally {
    source.close();
  }
  while (faultCurve.length <= CURVE_POINTS) faultCurve.push(totalFaults(engine.vcpuStats));

  debug.inspect?.(engine);

  // 4. Counters describe the end of the replay; then the VM is destroyed (pKVM unshares all).
  const vmCounters = {} as VmCounters;
  for (const name of VM_COUNTER_NAMES) vmCounters[name] = vm.stats[name];
  vm.destroy();
  vmCounters.hypercalls = vm.stats.hypercalls;
  const total = new VcpuStats();
  for (const s of engine.vcpuStats) total.add(s);
  return {
    trace: trace.name,
    scenario,
    vcpus: engine.vcpuStats.map(countersOf),
    total: countersOf(total),
    vm: vmCounters,
    prefaultCalls,
    faultCurve,
    ...(vm.mirror ? { hypercallsByKind: { ...vm.mirror.byKind } } : {}),
    elapsedMs: performance.now() - started,
  };
}

/** One host-side or pre-fault event (not a guest access). Throws `MemslotError` for impossible rows. */
function hostEvent(
  engine: Engine,
  scenario: Scenario,
  ev: TraceEvents,
  i: number,
  slotAt: (id: number, gpa: number, sizeBytes: number) => Memslot,
  prefaultCalls: PrefaultCallRecord[],
): void {
  const vm = engine.vm;
  const op = ev.op[i] as Op;
  const gpa = ev.gpa[i];
  const size = ev.sizeBytes[i];
  const startGfn = gpaToGfn(gpa);
  const endGfn = gpaToGfn(gpa + size - 1) + 1;
  switch (op) {
    case Op.PREFAULT:
      issuePrefault(engine, scenario, ev.vcpu[i], ev.line[i], gpa, size, prefaultCalls);
      break;
    case Op.UNMAP:
      vm.unmap(startGfn, endGfn);
      break;
    case Op.WRPROTECT:
      vm.writeProtect(startGfn, endGfn);
      break;
    case Op.SLOT_ADD:
      vm.addSlot(slotAt(ev.slot[i], gpa, size));
      break;
    case Op.SLOT_DEL:
      vm.deleteSlot(ev.slot[i]);
      break;
    case Op.DIRTY_LOG_ON:
    case Op.DIRTY_LOG_OFF:
      vm.setDirtyLogging(ev.slot[i], op === Op.DIRTY_LOG_ON);
      break;
    case Op.SET_PRIVATE:
    case Op.SET_SHARED:
      vm.setPrivate(startGfn, endGfn, op === Op.SET_PRIVATE);
      break;
    case Op.DIRTY_LOG_GET:
      getDirtyLog(vm, engine, ev.slot[i]);
      break;
    case Op.DIRTY_LOG_CLEAR:
      clearDirtyLog(vm, engine, ev.slot[i], gpa, size);
      break;
    default:
      throw new MemslotError(`op ${op} is not replayable`);
  }
}

/** A PREFAULT request as userspace issues it: the ioctl again while it returns 0 with a range left. */
function issuePrefault(
  engine: Engine,
  scenario: Scenario,
  vcpu: number,
  line: number,
  gpa: number,
  sizeBytes: number,
  calls: PrefaultCallRecord[],
): void {
  const stats = engine.vcpuStats[vcpu];
  for (;;) {
    const call = preFault(engine.vm, gpa, sizeBytes, scenario.prefaultPolicy, stats);
    calls.push({ vcpu, line, gpa, sizeBytes, result: call.result, remainingBytes: call.sizeBytes });
    if (call.result !== 0 || call.sizeBytes === 0) return;
    gpa = call.gpa;
    sizeBytes = call.sizeBytes;
  }
}

/** End of the highest range the trace or the layout names (memslots included). */
export function addressEnd(trace: Trace, layout: Layout): number {
  let end = trace.touchedEndGpa;
  for (const spec of layout.memslots) end = Math.max(end, spec.gpa + spec.sizeBytes);
  // A streamed trace is read for this only when it has SLOT_ADD rows.
  if (trace.stream === undefined || trace.declaresSlots) {
    forEachEventChunk(trace, (ev) => {
      for (let i = 0; i < ev.count; i++) if (ev.op[i] === Op.SLOT_ADD) end = Math.max(end, ev.gpa[i] + ev.sizeBytes[i]);
    });
  }
  return end;
}

/** End of the touched range with stolen bits cleared (the default slot must not reach them). */
function touchedEndWithout(trace: Trace, stolen: StolenBits): number {
  let end = 0;
  forEachEventChunk(trace, (ev) => {
    for (let i = 0; i < ev.count; i++) {
      const op = ev.op[i];
      if (op === Op.SLOT_ADD || op === Op.SLOT_DEL || op === Op.DIRTY_LOG_ON || op === Op.DIRTY_LOG_OFF) continue;
      const lastGfn = stolen.strip(gpaToGfn(ev.gpa[i] + Math.max(1, ev.sizeBytes[i]) - 1));
      end = Math.max(end, (lastGfn + 1) * PAGE_SIZE_BYTES);
    }
  });
  return end;
}

function totalFaults(stats: readonly VcpuStats[]): number {
  let sum = 0;
  for (const s of stats) sum += s.faults;
  return sum;
}

function countersOf(stats: VcpuStats): VcpuCounters {
  const out = { faults: stats.faults } as VcpuCounters;
  for (const name of VCPU_COUNTER_NAMES) out[name] = stats[name];
  return out;
}
