/**
 * Runs the matrix cells, inline or on a Piscina pool, and returns their
 * outcomes in cell order (never completion order), so output is identical
 * whatever the thread count.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { CellOutcome } from '../report/results.js';
import { runCellTask, type CellTask } from './cellTask.js';

export interface MatrixProgress {
  done: number;
  total: number;
  /** Guest accesses replayed by the cells done so far. */
  accesses: number;
}

export interface RunMatrixOptions {
  /** 0 runs inline on the main thread; N > 0 uses a pool of N workers. */
  threads: number;
  onProgress?: (progress: MatrixProgress) => void;
}

/** Default pool size: the cores, never more than the cells. */
export function defaultThreads(cellCount: number): number {
  return Math.max(1, Math.min(availableParallelism(), cellCount));
}

export async function runMatrix(tasks: readonly CellTask[], options: RunMatrixOptions): Promise<CellOutcome[]> {
  const outcomes: CellOutcome[] = new Array(tasks.length);
  const progress: MatrixProgress = { done: 0, total: tasks.length, accesses: 0 };
  const record = (index: number, outcome: CellOutcome): void => {
    outcomes[index] = outcome;
    progress.done++;
    if (outcome.ok) progress.accesses += outcome.result.total.accesses;
    options.onProgress?.(progress);
  };
  if (options.threads === 0) {
    tasks.forEach((task, index) => record(index, runCellTask(task)));
    return outcomes;
  }
  const pool = new Piscina({
    filename: new URL('./worker.js', import.meta.url).href,
    minThreads: options.threads,
    maxThreads: options.threads,
  });
  try {
    await Promise.all(
      tasks.map(async (task, index) => {
        try {
          record(index, (await pool.run(task)) as CellOutcome);
        } catch (error) {
          // The worker died (crash, out of memory): this cell fails, the others go on.
          const message = error instanceof Error ? error.message : String(error);
          record(index, { ok: false, trace: task.trace.name, scenario: task.scenario, error: { kind: 'crash', message } });
        }
      }),
    );
  } finally {
    await pool.destroy();
  }
  return outcomes;
}
