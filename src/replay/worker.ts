/**
 * Piscina worker entry: replays one cell per task. Never renders charts. Tests that need a worker
 * that crashes or hangs start their own (test/helpers/faultyCellWorker.mjs, through runMatrix's
 * `workerUrl`), which wraps this one.
 */
import { type CellTask, runCellTask } from './cellTask.js';
import type { CellOutcome } from './results.js';

export default function cellWorker(task: CellTask): CellOutcome {
  return runCellTask(task);
}
