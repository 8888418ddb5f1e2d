/**
 * Runs the matrix cells, inline or on a Piscina pool, and returns their
 * outcomes in cell order (never completion order), so output is identical
 * whatever the thread count.
 */
import { availableParallelism } from 'node:os';
import type { CellOutcome } from './results.js';
import { cellFailure, outcomeOfRejection, runCellTask, type CellTask } from './cellTask.js';
import { createWorkerPool } from './workerPool.js';
import { reachThreadFits } from './reachRing.js';

export interface MatrixProgress {
  done: number;
  total: number;
  /** Guest accesses replayed by the cells done so far. */
  accesses: number;
  /**
   * Trace events replayed so far: every event of the cells done, and what
   * the cells running on workers have replayed (read from their counters
   * every `PROGRESS_POLL_MS`).
   */
  events: number;
  /** Trace events of every cell. */
  totalEvents: number;
}

/** How often the pool's cell counters are read for `onProgress`, in milliseconds. */
const PROGRESS_POLL_MS = 250;

export interface RunMatrixOptions {
  /** 0 runs inline on the main thread; N > 0 uses a pool of N workers. */
  threads: number;
  onProgress?: (progress: MatrixProgress) => void;
  /** Per-cell time limit in milliseconds (workers only: a replay on the main thread cannot be interrupted). */
  timeoutMs?: number;
  /** Aborts the cells not finished yet (Ctrl-C); they fail with kind `aborted`. */
  signal?: AbortSignal;
  /** Heap limit of each worker in MiB (`resourceLimits.maxOldGenerationSizeMb`). */
  workerMemoryMb?: number;
  /** Worker script of the pool (default ./worker.js; tests give one that crashes or hangs on purpose). */
  workerUrl?: URL;
}

/** Default pool size: the cores, never more than the cells. */
export function defaultThreads(cellCount: number): number {
  return Math.max(1, Math.min(availableParallelism(), cellCount));
}

export async function runMatrix(cellTasks: readonly CellTask[], options: RunMatrixOptions): Promise<CellOutcome[]> {
  // A large cell's reach curves go to a thread of their own when the cells replaying at once leave a core for each.
  const running = options.threads === 0 ? 1 : Math.min(options.threads, cellTasks.length);
  // Per cell, its events done: shared with the workers, which store theirs as they replay (`ReplayOptions.eventsDone`).
  const eventsDone = new Float64Array(new SharedArrayBuffer(8 * Math.max(1, cellTasks.length)));
  const tasks = cellTasks.map((task, index) => ({
    ...task,
    ...(task.tlbReach === true && reachThreadFits(task.trace.events.count, running) ? { tlbReachThread: true } : {}),
    ...(options.threads > 0 && options.onProgress !== undefined ? { eventsDone: eventsDone.subarray(index, index + 1) } : {}),
  }));
  const outcomes: CellOutcome[] = new Array(tasks.length);
  const totalEvents = tasks.reduce((sum, task) => sum + task.trace.events.count, 0);
  const progress: MatrixProgress = { done: 0, total: tasks.length, accesses: 0, events: 0, totalEvents };
  const report = (): void => {
    progress.events = eventsDone.reduce((sum, events) => sum + events, 0);
    options.onProgress?.(progress);
  };
  const record = (index: number, outcome: CellOutcome): void => {
    outcomes[index] = outcome;
    eventsDone[index] = tasks[index].trace.events.count; // done (a failed cell too)
    progress.done++;
    if (outcome.ok) progress.accesses += outcome.result.total.accesses;
    report();
  };
  if (options.threads === 0) {
    // Between cells only: a replay on the main thread runs to its end.
    tasks.forEach((task, index) => {
      record(index, options.signal?.aborted ? cellFailure(task, 'aborted', 'interrupted before it started') : runCellTask(task));
    });
    return outcomes;
  }
  const pool = createWorkerPool({
    workerUrl: options.workerUrl ?? new URL('./worker.js', import.meta.url),
    threads: options.threads,
    workerMemoryMb: options.workerMemoryMb,
  });
  const runOnPool = async (task: CellTask, index: number): Promise<void> => {
    const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
    const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    try {
      const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
      record(index, (await pool.run(task, { signal })) as CellOutcome);
    } catch (error) {
      // The worker died (crash, out of memory), timed out or was stopped: this cell fails, the others go on.
      record(index, outcomeOfRejection(task, error, { timeout, timeoutMs: options.timeoutMs, signal: options.signal }));
    }
  };
  // The running cells' counters, read while they replay (the main thread is free: the cells are on workers).
  const poll = options.onProgress === undefined ? undefined : setInterval(report, PROGRESS_POLL_MS);
  try {
    // One lane per worker: a cell goes to the pool when a worker is free, so its --timeout counts
    // from its own start (queued in Piscina, its clock would run while it waits for a worker).
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let index = next++; index < tasks.length; index = next++) await runOnPool(tasks[index], index);
    };
    await Promise.all(Array.from({ length: Math.min(options.threads, tasks.length) }, lane));
  } finally {
    clearInterval(poll);
    await pool.destroy();
  }
  return outcomes;
}
