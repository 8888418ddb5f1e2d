/**
 * Replay one trace under one scenario, from a fresh VM, and return its
 * result. Pure: the result depends only on (trace events, scenario, layout).
 */
import { Op, OP_NAMES } from '../trace/ops.js';
import type { Trace } from '../trace/traceEvents.js';
import { InputError, located } from '../cli/errors.js';
import { Level, PAGE_SIZE_BYTES } from '../mmu/level.js';
import { MemslotError, type Memslot } from '../mmu/memslots.js';
import { AccessKind } from '../mmu/vm.js';
import { VCPU_COUNTER_NAMES, VM_COUNTER_NAMES, VcpuStats } from '../mmu/stats.js';
import { gpaToGfn } from '../mmu/address.js';
import { Engine } from './engine.js';
import type { MemslotSpec, Scenario } from './scenario.js';
import type { CellResult, PrefaultCallRecord, VcpuCounters, VmCounters } from '../report/results.js';

/** The memory layout of a run, fixed before replay. */
export interface Layout {
  /** Memslots from `--memslot`; when empty and the trace declares none, one default slot. */
  memslots: MemslotSpec[];
  /** Alignment of the default slot's size (1 GiB). */
  defaultSlotAlignBytes: number;
}

const CURVE_POINTS = 100;

/** Replay `trace` under `scenario`. Throws `InputError` (located) for impossible rows. */
export function replayCell(trace: Trace, scenario: Scenario, layout: Layout): CellResult {
  const started = performance.now();
  const vcpuCount = Math.max(1, trace.vcpuCount);
  const engine = new Engine({
    vcpuCount,
    maxLevel: scenario.maxLevel,
    tlbEntries: scenario.tlbEntries,
    tlbWays: scenario.tlbWays,
  });
  const vm = engine.vm;
  const prefaultCalls: PrefaultCallRecord[] = [];

  // 1. Memslots: the flags, else (when the trace declares none) one slot from 0
  //    over everything touched, rounded up to 1 GiB.
  layout.memslots.forEach((spec, id) => vm.addSlot(makeSlot(id, spec.gpa, spec.sizeBytes, scenario.backing)));
  if (layout.memslots.length === 0 && !trace.declaresSlots) {
    const align = layout.defaultSlotAlignBytes;
    const size = Math.max(align, Math.ceil(trace.touchedEndGpa / align) * align);
    vm.addSlot(makeSlot(0, 0, size, scenario.backing));
  }

  // 2. Scenario pre-fault on vCPU 0, before the guest runs.
  const prefault = scenario.prefault;
  if (prefault.kind === 'all') {
    for (const slot of vm.memslots.all()) {
      issuePrefault(engine, 0, 0, slot.baseGfn * PAGE_SIZE_BYTES, slot.npages * PAGE_SIZE_BYTES, prefaultCalls);
    }
  } else if (prefault.kind === 'ranges') {
    for (const range of prefault.ranges) issuePrefault(engine, 0, 0, range.gpa, range.sizeBytes, prefaultCalls);
  }

  // 3. The trace, in order.
  const ev = trace.events;
  const faultCurve = [0];
  const step = ev.count / CURVE_POINTS;
  let nextSample = step;
  for (let i = 0; i < ev.count; i++) {
    const op = ev.op[i] as Op;
    const vcpu = ev.vcpu[i];
    try {
      switch (op) {
        case Op.R:
          engine.access(vcpu, AccessKind.Read, ev.gpa[i], ev.sizeBytes[i]);
          break;
        case Op.W:
          engine.access(vcpu, AccessKind.Write, ev.gpa[i], ev.sizeBytes[i]);
          break;
        case Op.X:
          engine.access(vcpu, AccessKind.Exec, ev.gpa[i], ev.sizeBytes[i]);
          break;
        case Op.PREFAULT:
          issuePrefault(engine, vcpu, ev.line[i], ev.gpa[i], ev.sizeBytes[i], prefaultCalls);
          break;
        case Op.UNMAP:
          vm.unmap(gpaToGfn(ev.gpa[i]), gpaToGfn(ev.gpa[i] + ev.sizeBytes[i] - 1) + 1);
          break;
        case Op.WRPROTECT:
          vm.writeProtect(gpaToGfn(ev.gpa[i]), gpaToGfn(ev.gpa[i] + ev.sizeBytes[i] - 1) + 1);
          break;
        case Op.SLOT_ADD:
          vm.addSlot(makeSlot(ev.slot[i], ev.gpa[i], ev.sizeBytes[i], scenario.backing));
          break;
        case Op.SLOT_DEL:
          vm.deleteSlot(ev.slot[i]);
          break;
        case Op.DIRTY_LOG_ON:
        case Op.DIRTY_LOG_OFF:
          vm.setDirtyLogging(ev.slot[i], op === Op.DIRTY_LOG_ON);
          break;
        default:
          throw new MemslotError(`op ${op} is not replayable`);
      }
    } catch (error) {
      if (error instanceof MemslotError) {
        throw new InputError(located(trace.path, ev.line[i], 'op', `${OP_NAMES[op]}: ${error.message}`));
      }
      throw error;
    }
    while (i + 1 >= nextSample && faultCurve.length <= CURVE_POINTS) {
      faultCurve.push(totalFaults(engine.vcpuStats));
      nextSample += step;
    }
  }
  while (faultCurve.length <= CURVE_POINTS) faultCurve.push(totalFaults(engine.vcpuStats));

  const vcpus = engine.vcpuStats.map(countersOf);
  const total = countersOf(sumStats(engine.vcpuStats));
  const vmCounters = {} as VmCounters;
  for (const name of VM_COUNTER_NAMES) vmCounters[name] = vm.stats[name];
  return {
    trace: trace.name,
    scenario,
    vcpus,
    total,
    vm: vmCounters,
    prefaultCalls,
    faultCurve,
    elapsedMs: performance.now() - started,
  };
}

/** A PREFAULT request as userspace issues it: the ioctl again while it returns 0 with a range left. */
function issuePrefault(engine: Engine, vcpu: number, line: number, gpa: number, sizeBytes: number, calls: PrefaultCallRecord[]): void {
  const stats = engine.vcpuStats[vcpu];
  for (;;) {
    const call = engine.vm.preFault(gpa, sizeBytes, stats);
    calls.push({ vcpu, line, gpa, sizeBytes, result: call.result, remainingBytes: call.sizeBytes });
    if (call.result !== 0 || call.sizeBytes === 0) return;
    gpa = call.gpa;
    sizeBytes = call.sizeBytes;
  }
}

function makeSlot(id: number, gpa: number, sizeBytes: number, backing: Level): Memslot {
  const baseGfn = gpaToGfn(gpa);
  return { id, baseGfn, npages: sizeBytes / PAGE_SIZE_BYTES, backing, hvaGfn: baseGfn, readOnly: false, dirtyLogging: false };
}

function totalFaults(stats: readonly VcpuStats[]): number {
  let sum = 0;
  for (const s of stats) sum += s.faults;
  return sum;
}

function sumStats(stats: readonly VcpuStats[]): VcpuStats {
  const total = new VcpuStats();
  for (const s of stats) total.add(s);
  return total;
}

function countersOf(stats: VcpuStats): VcpuCounters {
  const out = { faults: stats.faults } as VcpuCounters;
  for (const name of VCPU_COUNTER_NAMES) out[name] = stats[name];
  return out;
}
