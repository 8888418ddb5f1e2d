/**
 * One trace event that is not a guest access: a pre-fault request on its
 * vCPU, or a host-side change of the VM (MMU-notifier invalidation,
 * write-protection, memslot and attribute changes, dirty-logging toggles and
 * harvests), or an AT instruction of the guest hypervisor, emulated on its vCPU.
 * Throws `MemslotError` for an impossible row (the replay locates it).
 */
import { OP_NAMES, Op } from '../trace/ops.js';
import type { TraceEvents } from '../trace/traceEvents.js';
import { gpaToGfn } from '../mmu/address.js';
import { PAGE_SIZE_BYTES } from '../mmu/level.js';
import { MemslotError, type Memslot } from '../mmu/memslots.js';
import type { VcpuStats } from '../mmu/stats.js';
import type { Vm } from '../mmu/vm.js';
import { deleteMemslot, gmemPunchHole, moveMemslot, notifierUnmap, setMemoryPrivate, toggleDirtyLogging, writeProtectGfnRange } from '../mmu/hostEvents.js';
import type { PrefaultMode } from '../mmu/preFault.js';
import { clearDirtyLog, getDirtyLog } from '../mmu/dirtyLog.js';
import { ageGfnRange } from '../mmu/aging.js';
import { issuePrefault } from './issuePrefault.js';
import type { IoctlErrorRecord, PrefaultCallRecord } from './results.js';
import type { AtVariant } from '../trace/atVariant.js';

/** What a host event needs besides the VM. */
export interface HostEventContext {
  vm: Vm;
  /** `--prefault-policy` and `--prefault-flags`. */
  prefault: PrefaultMode;
  /** Per vCPU: its counters (a PREFAULT row counts on its vCPU). */
  vcpuStats: readonly VcpuStats[];
  /** The memslot a SLOT_ADD row declares. */
  slotAt: (id: number, gpa: number, sizeBytes: number) => Memslot;
  prefaultCalls: PrefaultCallRecord[];
  /** Per vCPU: where its AT rows are emulated (`VcpuAccessPath.at`); without, AT rows are refused. */
  atPaths?: readonly { at(variant: AtVariant, gva: number): void }[];
  /** Host ioctls KVM refused (`ioctl_errors`), for run.json. */
  ioctlErrors: IoctlErrorRecord[];
}

/** Carry out event `i` of `ev`. */
export function hostEvent(context: HostEventContext, ev: TraceEvents, i: number): void {
  const vm = context.vm;
  const op = ev.op[i] as Op;
  const gpa = ev.gpa[i];
  const size = ev.sizeBytes[i];
  const startGfn = gpaToGfn(gpa);
  const endGfn = gpaToGfn(gpa + size - 1) + 1;
  switch (op) {
    case Op.PREFAULT: {
      const vcpu = ev.vcpu[i];
      issuePrefault(vm, context.prefault, context.vcpuStats[vcpu], vcpu, ev.line[i], gpa, size, context.prefaultCalls);
      break;
    }
    case Op.UNMAP:
      notifierUnmap(vm, startGfn, endGfn);
      break;
    case Op.GMEM_PUNCH_HOLE:
      gmemPunchHole(vm, startGfn, endGfn);
      break;
    case Op.AGE:
      ageGfnRange(vm, startGfn, endGfn);
      break;
    case Op.WRPROTECT:
      writeProtectGfnRange(vm, startGfn, endGfn);
      break;
    case Op.SLOT_ADD:
      vm.addSlot(context.slotAt(ev.slot[i], gpa, size));
      break;
    case Op.SLOT_DEL:
      deleteMemslot(vm, ev.slot[i]);
      break;
    case Op.SLOT_MOVE:
      moveMemslot(vm, ev.slot[i], startGfn, size / PAGE_SIZE_BYTES);
      break;
    case Op.DIRTY_LOG_ON:
    case Op.DIRTY_LOG_OFF: {
      const result = toggleDirtyLogging(vm, ev.slot[i], op === Op.DIRTY_LOG_ON);
      if (result !== 0) context.ioctlErrors.push({ line: ev.line[i], op: OP_NAMES[op], slot: ev.slot[i], result });
      break;
    }
    case Op.SET_PRIVATE:
    case Op.SET_SHARED:
      setMemoryPrivate(vm, startGfn, endGfn, op === Op.SET_PRIVATE);
      break;
    case Op.DIRTY_LOG_GET:
    case Op.DIRTY_LOG_CLEAR: {
      const harvested = op === Op.DIRTY_LOG_GET ? getDirtyLog(vm, vm.flushSink, ev.slot[i]) : clearDirtyLog(vm, vm.flushSink, ev.slot[i], gpa, size);
      if (harvested < 0) context.ioctlErrors.push({ line: ev.line[i], op: OP_NAMES[op], slot: ev.slot[i], result: harvested });
      break;
    }
    case Op.AT: {
      const path = context.atPaths?.[ev.vcpu[i]];
      if (path === undefined) throw new MemslotError('AT rows are not replayable here');
      path.at(ev.slot[i] as AtVariant, gpa);
      break;
    }
    default:
      throw new MemslotError(`op ${op} is not replayable`);
  }
}
