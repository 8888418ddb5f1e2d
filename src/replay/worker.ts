/** Piscina worker entry: replays one cell per task. Never renders charts. */
import { runCellTask, type CellTask } from './cellTask.js';
import type { CellOutcome } from '../report/results.js';

export default function cellWorker(task: CellTask): CellOutcome {
  return runCellTask(task);
}
