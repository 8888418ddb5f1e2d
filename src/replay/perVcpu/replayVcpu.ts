/**
 * Replay one vCPU's events against the cell's shared stage-2, in file order.
 * The same function runs in a Piscina worker (`perVcpuWorker.ts`) or inline
 * (tests). Errors come back as data.
 */
import { Op, OP_NAMES } from '../../trace/ops.js';
import { gpaToGfn } from '../../mmu/address.js';
import type { AccessKind } from '../../mmu/vm.js';
import { VCPU_COUNTER_NAMES, VM_COUNTER_NAMES } from '../../mmu/stats.js';
import { located } from '../../errors.js';
import { VcpuReplayer } from './vcpuReplayer.js';
import { prefaultOnVcpu } from './vcpuPrefault.js';
import type { PrefaultCallRecord } from '../results.js';
import type { VcpuOutcome, VcpuTask } from './perVcpuCell.js';

const CURVE_POINTS = 100;
/** How long a worker waits at the start gate for the cell's other vCPUs, ms. */
export const START_GATE_MS = 1000;

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
  let k = 0;
  try {
    const replayer = new VcpuReplayer(task.vcpu, task.cell);
    if (options.gate !== false) startGate(task.cell.gate, task.cell.vcpuCount);
    const stats = replayer.stats;
    const { op: ops, gpa: gpas, sizeBytes: sizes } = ev;
    const n = indices.length;
    const prefaultCalls: PrefaultCallRecord[] = [];
    const prefaultEventIndices: number[] = [];
    const faultCurve = [0];
    const step = n / CURVE_POINTS;
    let nextSample = step;
    for (; k < n; k++) {
      const i = indices[k];
      const op = ops[i];
      if (op <= Op.X) replayer.access(op as number as AccessKind, gpas[i], sizes[i]);
      else {
        const startGfn = gpaToGfn(gpas[i]);
        const endGfn = gpaToGfn(gpas[i] + sizes[i] - 1) + 1;
        if (op === Op.PREFAULT) {
          const before = prefaultCalls.length;
          prefaultOnVcpu(replayer, ev.line[i], gpas[i], sizes[i], prefaultCalls);
          for (let c = before; c < prefaultCalls.length; c++) prefaultEventIndices.push(i);
        } else if (op === Op.UNMAP) replayer.unmap(startGfn, endGfn);
        else if (op === Op.WRPROTECT) replayer.writeProtect(startGfn, endGfn);
        else throw new UnsupportedOpError(located(task.tracePath, ev.line[i], 'op', `${OP_NAMES[op]} is not replayable with --threads per-vcpu`));
      }
      while (k + 1 >= nextSample && faultCurve.length <= CURVE_POINTS) {
        faultCurve.push(stats.faults);
        nextSample += step;
      }
    }
    while (faultCurve.length <= CURVE_POINTS) faultCurve.push(stats.faults);
    // Flushes posted after this vCPU's last access still reach its TLB.
    replayer.serviceRequests();
    const vcpuCounters: Record<string, number> = {};
    for (const name of VCPU_COUNTER_NAMES) vcpuCounters[name] = stats[name];
    const vmDeltas: Record<string, number> = {};
    for (const name of VM_COUNTER_NAMES) vmDeltas[name] = replayer.table.stats[name];
    return {
      ok: true,
      counters: {
        vcpu: task.vcpu,
        vcpuCounters,
        vmDeltas,
        installRaces: replayer.table.installRaces,
        mailboxOverflows: replayer.mailboxOverflows,
        prefaultCalls,
        prefaultEventIndices,
        faultCurve,
        elapsedMs: performance.now() - started,
      },
    };
  } catch (error) {
    const input = error instanceof UnsupportedOpError;
    const message = error instanceof Error ? (input ? error.message : (error.stack ?? error.message)) : String(error);
    return { ok: false, vcpu: task.vcpu, kind: input ? 'input' : 'crash', message };
  }
}

/** An op this mode cannot replay (normally refused before the run). */
class UnsupportedOpError extends Error {}
