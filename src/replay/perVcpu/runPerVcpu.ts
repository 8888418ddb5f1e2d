/**
 * `--threads per-vcpu`: the cells run one after another; within a cell each
 * vCPU's stream replays in its own Piscina worker against the cell's shared
 * stage-2. Results come back in cell order, shaped like the deterministic
 * replay's (`CellResult`, so results.csv keeps its columns), plus a
 * `perVcpu` record of the races seen. See docs/per-vcpu-threads.md.
 */
import type { Piscina } from 'piscina';
import { Level } from '../../mmu/level.js';
import { VCPU_COUNTER_NAMES, VM_COUNTER_NAMES, faultsOf, framesMapped } from '../../mmu/stats.js';
import type { CellOutcome, CellResult, VcpuCounters, VmCounters } from '../results.js';
import { cellFailure, outcomeOfError, outcomeOfRejection, type CellTask } from '../cellTask.js';
import type { MatrixProgress, RunMatrixOptions } from '../runMatrix.js';
import { SharedEntryStore } from './sharedEntryStore.js';
import { createWorkerPool } from '../workerPool.js';
import { PageTable } from '../../mmu/pageTable.js';
import { sumReachCurves } from '../../tlb/reachCurve.js';
import { touchPrefaulted } from '../prefaultUse.js';
import { countTeardown } from '../../mmu/pkvm/hypercallMirror.js';
import { setupPerVcpuCell, type PerVcpuSetup } from './setupPerVcpuCell.js';
import type { VcpuOutcome, VcpuRunCounters, VcpuTask } from './perVcpuCell.js';

/** What a per-vCPU cell adds to its result in run.json. */
export interface PerVcpuReport {
  /** False when more than one vCPU ran: counts that depend on timing may differ from run to run. */
  deterministic: boolean;
  /** cmpxchg installs that lost to another vCPU and were retried (RET_PF_RETRY / -EAGAIN). */
  install_races: number;
  /** Faults that found the mapping already installed, or lost a race (equal to the total `faults_spurious`). */
  faults_spurious: number;
  /** Flush requests that found a vCPU's mailbox full and became full flushes. */
  mailbox_overflows: number;
  /** 4 KiB frames mapped at the end (timing-independent for traces without host events). */
  frames_mapped: number;
  /** Wall time of each vCPU worker, ms (not deterministic). */
  vcpuElapsedMs: number[];
}

/** A cell result of this mode. */
export type PerVcpuCellResult = CellResult & { perVcpu: PerVcpuReport };

export type RunPerVcpuOptions = Omit<RunMatrixOptions, 'threads'> & {
  /** Worker threads; default: the most vCPUs of any trace, at most `MAX_PER_VCPU_THREADS`. */
  threads?: number;
  /** A pool to reuse (benchmarks), left open; by default one is made for the run and destroyed after. */
  pool?: Piscina;
};

/**
 * Most worker threads the mode starts. A trace with more vCPUs still runs:
 * the extra vCPU tasks queue and start as workers free up (the start gate
 * gives up after a second), so fewer streams run side by side.
 */
export const MAX_PER_VCPU_THREADS = 64;

/** Worker threads for traces of these vCPU counts. */
export function perVcpuThreads(vcpuCounts: readonly number[]): number {
  return Math.min(MAX_PER_VCPU_THREADS, Math.max(1, ...vcpuCounts));
}

/** Run `tasks` in per-vCPU mode; one outcome per task, in task order. */
export async function runPerVcpu(tasks: readonly CellTask[], options: RunPerVcpuOptions = {}): Promise<CellOutcome[]> {
  const outcomes: CellOutcome[] = [];
  const totalEvents = tasks.reduce((sum, task) => sum + task.trace.events.count, 0);
  const progress: MatrixProgress = { done: 0, total: tasks.length, accesses: 0, events: 0, totalEvents };
  const threads = options.threads ?? perVcpuThreads(tasks.map((t) => t.trace.vcpuCount));
  const pool =
    options.pool ??
    createWorkerPool({
      workerUrl: options.workerUrl ?? new URL('./perVcpuWorker.js', import.meta.url),
      threads,
      workerMemoryMb: options.workerMemoryMb,
    });
  try {
    for (const task of tasks) {
      const outcome = await runCell(pool, task, options);
      outcomes.push(outcome);
      progress.done++;
      progress.events += task.trace.events.count;
      if (outcome.ok) progress.accesses += outcome.result.total.accesses;
      options.onProgress?.(progress);
    }
  } finally {
    if (options.pool === undefined) await pool.destroy();
  }
  return outcomes;
}

async function runCell(pool: Piscina, task: CellTask, options: RunPerVcpuOptions): Promise<CellOutcome> {
  if (options.signal?.aborted) return cellFailure(task, 'aborted', 'interrupted before it started');
  let setup: PerVcpuSetup;
  try {
    setup = setupPerVcpuCell(task.trace, task.scenario, task.layout, task.tlbReach === true);
  } catch (error) {
    return outcomeOfError(task, error);
  }
  const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
  // When one vCPU's worker dies, stop its siblings too: they might wait forever on a lock it held.
  const siblings = new AbortController();
  const signals = [options.signal, timeout, siblings.signal].filter((s): s is AbortSignal => s !== undefined);
  const signal = AbortSignal.any(signals);
  const started = performance.now();
  // Every vCPU's task settles (siblings of a dead worker are aborted); the cause is the first
  // failure that is not one of those aborts, whichever order the rejections arrive in.
  const settled = await Promise.allSettled(
    setup.indices.map((indices, vcpu) => {
      const vcpuTask: VcpuTask = { cell: setup.cell, vcpu, traceName: task.trace.name, tracePath: task.trace.path, events: task.trace.events, indices };
      return (pool.run(vcpuTask, { signal }) as Promise<VcpuOutcome>).catch((error: unknown) => {
        if (!signal.aborted) siblings.abort(error);
        throw error;
      });
    }),
  );
  if (settled.some((s) => s.status === 'rejected')) {
    const cause: unknown = siblings.signal.reason ?? settled.find((s) => s.status === 'rejected')?.reason;
    return outcomeOfRejection(task, cause, { timeout, timeoutMs: options.timeoutMs, signal: options.signal });
  }
  const answers = settled.map((s) => (s as PromiseFulfilledResult<VcpuOutcome>).value);
  const bad = answers.find((a) => !a.ok);
  if (bad && !bad.ok) return cellFailure(task, bad.kind, bad.message);
  const counters = answers.map((a) => (a as { ok: true; counters: VcpuRunCounters }).counters);
  const result = mergeCell(setup, counters, performance.now() - started);
  const problem = checkFinalTable(setup, result);
  return problem === undefined ? { ok: true, result } : cellFailure(task, 'crash', problem);
}

/** The cell's result: setup counters plus each vCPU's counters and VM deltas. */
export function mergeCell(setup: PerVcpuSetup, counters: readonly VcpuRunCounters[], elapsedMs: number): PerVcpuCellResult {
  const base = setup.base;
  const vcpus = base.vcpus.map((row, v) => {
    const out = { ...row };
    const mine = counters.find((c) => c.vcpu === v);
    if (mine) for (const name of VCPU_COUNTER_NAMES) out[name] += mine.vcpuCounters[name];
    out.faults = faultsOf(out);
    return out;
  });
  const total = { faults: 0 } as VcpuCounters;
  for (const name of VCPU_COUNTER_NAMES) total[name] = vcpus.reduce((sum, row) => sum + row[name], 0);
  total.faults = vcpus.reduce((sum, row) => sum + row.faults, 0);
  const vm = { ...base.vm } as VmCounters;
  for (const c of counters) for (const name of VM_COUNTER_NAMES) vm[name] += c.vmDeltas[name];
  const hypercallsByKind = mergeHypercalls(base, vm, counters);
  // Pre-fault calls: the setup's first, then the PREFAULT rows' in event order (stable within a row).
  const rowCalls = counters.flatMap((c) => c.prefaultCalls.map((call, k) => ({ call, index: c.prefaultEventIndices[k] })));
  rowCalls.sort((a, b) => a.index - b.index);
  const prefaultCalls = [...base.prefaultCalls, ...rowCalls.map((r) => r.call)];
  const faultCurve = base.faultCurve.map((point, i) => point + counters.reduce((sum, c) => sum + c.faultCurve[i], 0));
  const tlbReach = sumReachCurves(counters.flatMap((c) => (c.tlbReach === undefined ? [] : [c.tlbReach])));
  vm.prefault_pages_unused = prefaultUnusedInFileOrder(setup, counters);
  return {
    ...base,
    ...(tlbReach !== undefined ? { tlbReach } : {}),
    vcpus,
    total,
    vm,
    prefaultCalls,
    faultCurve,
    ...(hypercallsByKind ? { hypercallsByKind } : {}),
    elapsedMs: base.elapsedMs + elapsedMs,
    perVcpu: {
      deterministic: counters.length <= 1,
      install_races: counters.reduce((sum, c) => sum + c.installRaces, 0),
      faults_spurious: total.faults_spurious,
      mailbox_overflows: counters.reduce((sum, c) => sum + c.mailboxOverflows, 0),
      frames_mapped: framesMapped(vm),
      vcpuElapsedMs: counters.map((c) => c.elapsedMs),
    },
  };
}

/**
 * pKVM: the hypercalls by kind, the setup's plus each worker's, and `vm.hypercalls`
 * made to match. The setup's result already counts the teardown (`countTeardown`)
 * of the mappings present after setup, one per leaf; the teardown unshares every
 * leaf present at the end, so the difference is counted (the workers' VMs are never destroyed).
 */
function mergeHypercalls(base: CellResult, vm: VmCounters, counters: readonly VcpuRunCounters[]): Record<string, number> | undefined {
  if (base.hypercallsByKind === undefined) return undefined;
  const byKind = { ...base.hypercallsByKind };
  for (const c of counters) for (const [kind, n] of Object.entries(c.hypercallsByKind ?? {})) byKind[kind] = (byKind[kind] ?? 0) + n;
  const leaves = (v: VmCounters): number => v.pages_4k + v.pages_2m + v.pages_1g;
  const count = (kind: string, n: number): void => {
    byKind[kind] += n;
    vm.hypercalls += n;
  };
  countTeardown(count, leaves(vm) - leaves(base.vm));
  return byKind;
}

/**
 * `prefault_pages_unused` of a per-vCPU cell, as the deterministic replay
 * counts it: from the setup's pre-faulted frames, the events in file order,
 * each PREFAULT row marking the frames its worker newly mapped, each access
 * touching its frames (the pass runs while a frame is untouched).
 */
function prefaultUnusedInFileOrder(setup: PerVcpuSetup, counters: readonly VcpuRunCounters[]): number {
  const frames = setup.prefaulted;
  const marks = counters.flatMap((c) => c.prefaultMarks).sort((a, b) => a.index - b.index);
  const ev = setup.events;
  let at = 0;
  for (const mark of marks) {
    if (!frames.empty) touchPrefaulted(frames, setup.stolen, ev, at, mark.index, true);
    for (let r = 0; r < mark.runs.length; r += 2) frames.mark(mark.runs[r], mark.runs[r + 1]);
    at = mark.index + 1;
  }
  if (!frames.empty) touchPrefaulted(frames, setup.stolen, ev, at, ev.count, true);
  return frames.unused;
}

/** The leaves in the final shared table must be what the counters say; a difference is a model bug. */
export function checkFinalTable(setup: PerVcpuSetup, result: CellResult): string | undefined {
  const store = new SharedEntryStore(setup.cell.table);
  const table = new PageTable(store, store.rootLevel);
  const found = [0, 0, 0, 0];
  table.walkLeaves(0, 512 ** table.rootLevel, (_t, _s, level) => found[level]++);
  const expect = [0, result.vm.pages_4k, result.vm.pages_2m, result.vm.pages_1g];
  for (const level of [Level.L4K, Level.L2M, Level.L1G]) {
    if (found[level] !== expect[level]) {
      return `per-vcpu: the shared stage-2 holds ${found[level]} level-${level} leaves but the counters say ${expect[level]} (a model bug)`;
    }
  }
  return undefined;
}
