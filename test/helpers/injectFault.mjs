/**
 * The faults of the test-only workers (faultyCellWorker.mjs, faultyVcpuWorker.mjs), chosen by
 * testCli.mjs's `--fault KIND:TRACE`. testCli.mjs hands the choice to the worker threads in their
 * environment (a worker thread starts with a copy of the main thread's), under FAULT_ENV.
 */
import { writeSync } from 'node:fs';

export const FAULT_ENV = 'MMUBENCH_HELPER_FAULT';
export const FAULT_KINDS = ['throw', 'exit', 'oom', 'hang'];

/**
 * When the fault targets `traceName`: throw outside the cell's own error handling (`throw`),
 * exhaust the heap (`oom`), exit the thread (`exit`) or never return (`hang`, after saying so on
 * stderr: `faulty worker: hanging in TRACE`, the line a test waits for before it acts).
 */
export function injectFault(traceName) {
  const spec = process.env[FAULT_ENV];
  if (!spec) return;
  const [kind, target] = spec.split(':');
  if (target !== traceName) return;
  if (kind === 'throw') throw new Error(`injected fault in ${traceName}`);
  if (kind === 'exit') process.exit(3);
  if (kind === 'oom') {
    // Plain arrays live on the V8 heap, which resourceLimits bounds (typed arrays would not).
    const hog = [];
    for (;;) hog.push(new Array(1 << 20).fill(hog.length + 0.5));
  }
  if (kind === 'hang') {
    // writeSync: the line is out before the loop starts (a worker's process.stderr is asynchronous).
    writeSync(2, `faulty worker: hanging in ${traceName}\n`);
    for (;;);
  }
}
