/** Piscina worker entry: replays one cell per task. Never renders charts. */
import { runCellTask, type CellTask } from './cellTask.js';
import type { CellOutcome } from './results.js';

export default function cellWorker(task: CellTask): CellOutcome {
  injectFault(task.trace.name);
  return runCellTask(task);
}

/**
 * Test-only fault injection, so the failure paths can be provoked:
 * MMUBENCH_TEST_FAULT=KIND:TRACE makes the worker replaying TRACE throw
 * outside the cell's own error handling (`throw`), exhaust its heap (`oom`),
 * exit (`exit`) or never return (`hang`). Unset in every real run.
 */
function injectFault(traceName: string): void {
  const spec = process.env.MMUBENCH_TEST_FAULT;
  if (!spec) return;
  const [kind, target] = spec.split(':');
  if (target !== traceName) return;
  if (kind === 'throw') throw new Error(`injected fault in ${traceName}`);
  if (kind === 'exit') process.exit(3);
  if (kind === 'oom') {
    // Plain arrays live on the V8 heap, which resourceLimits bounds (typed arrays would not).
    const hog: number[][] = [];
    for (;;) hog.push(new Array<number>(1 << 20).fill(hog.length + 0.5));
  }
  if (kind === 'hang') for (;;);
}
