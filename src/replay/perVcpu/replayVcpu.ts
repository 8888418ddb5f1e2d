/**
 * Replay one vCPU's events against the cell's shared stage-2, in file order:
 * the same `Vm` (fault path, pre-fault, host events) and `VcpuAccessPath`
 * (TLBs, fast path, flush handling) as the deterministic replay, over a
 * `SharedEntryStore` and its mmu_lock, with a `FlushMailbox` between the
 * vCPUs. The same function runs in a Piscina worker (`perVcpuWorker.ts`) or
 * inline (tests). Errors come back as data.
 */
import { Op, OP_NAMES } from '../../trace/ops.js';
import { Vm } from '../../mmu/vm.js';
import type { AccessKind } from '../../mmu/vmOptions.js';
import { VM_COUNTER_NAMES, type VcpuStats } from '../../mmu/stats.js';
import { countersOf } from '../replayCell.js';
import { MemslotError } from '../../mmu/memslots.js';
import { located } from '../../errors.js';
import { VcpuAccessPath } from '../vcpuAccessPath.js';
import { hostEvent, type HostEventContext } from '../hostEvent.js';
import { accessPathOptionsFor, flushPolicyFor, vmOptionsFor } from '../vmOptions.js';
import type { PrefaultCallRecord } from '../results.js';
import { FaultCurve } from '../faultCurve.js';
import { prefaultModeOf } from '../scenario.js';
import { SharedEntryStore } from './sharedEntryStore.js';
import { FlushRequests } from './flushRequests.js';
import { FlushMailbox } from './flushMailbox.js';
import type { PerVcpuCell, VcpuOutcome, VcpuRunCounters, VcpuTask } from './perVcpuCell.js';

/** How long a worker waits at the start gate for the cell's other vCPUs, ms. */
export const START_GATE_MS = 1000;

/** One vCPU of a per-vCPU cell: its VM view of the shared stage-2, its access path, its mailbox. */
export interface VcpuWorkerState {
  vm: Vm;
  path: VcpuAccessPath;
  mailbox: FlushMailbox;
  store: SharedEntryStore;
}

/** Build `vcpu`'s view of `cell` (on any thread; nothing shared is written). */
export function vcpuWorkerState(cell: PerVcpuCell, vcpu: number): VcpuWorkerState {
  const store = new SharedEntryStore(cell.table);
  const vmOptions = { ...vmOptionsFor(cell.scenario), rootLevel: store.rootLevel };
  const mailbox = new FlushMailbox(new FlushRequests(cell.requests, cell.vcpuCount), vcpu, flushPolicyFor(cell.scenario, vmOptions));
  const vm = new Vm(vmOptions, mailbox, { store, lock: store.lock });
  for (const slot of cell.memslots) vm.addSlot(slot); // the VM keeps a copy: the task stays as sent
  const path = new VcpuAccessPath(vcpu, vm, { ...accessPathOptionsFor(cell.scenario), reach: cell.tlbReach });
  mailbox.attach(vm, path);
  return { vm, path, mailbox, store };
}

/**
 * Wait until every vCPU worker of the cell has arrived (at most
 * `START_GATE_MS`), so the streams really run side by side. Never a
 * deadlock: a pool smaller than the vCPU count only delays the start.
 */
function startGate(gate: SharedArrayBuffer, vcpuCount: number): void {
  const word = new Int32Array(gate, 0, 1);
  const arrived = Atomics.add(word, 0, 1) + 1;
  if (arrived >= vcpuCount) {
    Atomics.notify(word, 0);
    return;
  }
  const deadline = Date.now() + START_GATE_MS;
  for (let seen = arrived; seen < vcpuCount; seen = Atomics.load(word, 0)) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    Atomics.wait(word, 0, seen, left);
  }
}

/** Replay `task.vcpu`'s events; `gate: false` skips the start gate (inline use). */
export function replayVcpu(task: VcpuTask, options: { gate?: boolean } = {}): VcpuOutcome {
  const started = performance.now();
  const ev = task.events;
  const indices = task.indices;
  const n = indices.length;
  let k = 0;
  try {
    const state = vcpuWorkerState(task.cell, task.vcpu);
    const { path, mailbox } = state;
    if (options.gate !== false) startGate(task.cell.gate, task.cell.vcpuCount);
    const stats = path.stats;
    const vcpuStats: VcpuStats[] = [];
    vcpuStats[task.vcpu] = stats;
    const atPaths: VcpuAccessPath[] = [];
    atPaths[task.vcpu] = path; // AT rows run this vCPU's emulation over the shared stage-2
    const host: HostEventContext = {
      vm: state.vm,
      prefault: prefaultModeOf(task.cell.scenario),
      vcpuStats,
      slotAt: () => {
        throw new MemslotError('memslot changes are not replayable with --threads per-vcpu');
      },
      prefaultCalls: [],
      atPaths,
      ioctlErrors: [],
    };
    const prefaultEventIndices: number[] = [];
    // Pre-fault's newly mapped frames go back to the main thread, which touches them in file order (mergeCell).
    const prefaultLog: number[] = [];
    state.vm.prefaulted.log = prefaultLog;
    const prefaultMarks: { index: number; runs: number[] }[] = [];
    const curve = new FaultCurve(n);
    const requestWord = mailbox.requestWord;
    const { op: ops, gpa: gpas, sizeBytes: sizes } = ev;
    for (; k < n; k++) {
      const i = indices[k];
      // vcpu_enter_guest: requests first (kvm_check_request), then the guest runs.
      if (Atomics.load(requestWord, 0) !== 0) mailbox.service();
      const op = ops[i];
      if (op <= Op.X) path.access(op as number as AccessKind, gpas[i], sizes[i]);
      else {
        const calls = host.prefaultCalls.length;
        hostEvent(host, ev, i);
        for (let c = calls; c < host.prefaultCalls.length; c++) prefaultEventIndices.push(i);
        if (prefaultLog.length > 0) prefaultMarks.push({ index: i, runs: prefaultLog.splice(0) });
      }
      if (k + 1 >= curve.due) curve.sample(k + 1, stats.faults);
    }
    const faultCurve = curve.finish(stats.faults);
    // Flushes posted after this vCPU's last access still reach its TLB.
    mailbox.service();
    return {
      ok: true,
      counters: { ...counters(task, state, host.prefaultCalls, prefaultEventIndices, faultCurve, performance.now() - started), prefaultMarks },
    };
  } catch (error) {
    if (error instanceof MemslotError) {
      const i = indices[k];
      return { ok: false, vcpu: task.vcpu, kind: 'input', message: located(task.tracePath, ev.line[i], 'op', `${OP_NAMES[ev.op[i]]}: ${error.message}`) };
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { ok: false, vcpu: task.vcpu, kind: 'crash', message };
  }
}

/** The worker's answer: this vCPU's counters and its deltas of the VM counters. */
function counters(
  task: VcpuTask,
  state: VcpuWorkerState,
  prefaultCalls: PrefaultCallRecord[],
  prefaultEventIndices: number[],
  faultCurve: number[],
  elapsedMs: number,
): Omit<VcpuRunCounters, 'prefaultMarks'> {
  const vcpuCounters: Record<string, number> = { ...countersOf(state.path.stats) };
  const vmDeltas: Record<string, number> = {};
  for (const name of VM_COUNTER_NAMES) vmDeltas[name] = state.vm.stats[name];
  return {
    vcpu: task.vcpu,
    vcpuCounters,
    vmDeltas,
    installRaces: state.store.races,
    mailboxOverflows: state.mailbox.overflows,
    prefaultCalls,
    prefaultEventIndices,
    faultCurve,
    ...(state.path.reach !== undefined ? { tlbReach: state.path.reach.result() } : {}),
    elapsedMs,
    ...(state.vm.mirror ? { hypercallsByKind: state.vm.mirror.byKind } : {}),
  };
}
