/**
 * The Piscina pools of the replay, made in one place: runMatrix's (a cell
 * per task) and runPerVcpu's (a vCPU stream per task). Each worker starts
 * workerEntry.cjs, which loads the pool's worker module with `import()`
 * (why: workerEntry.cts).
 */
import { Piscina } from 'piscina';

export interface WorkerPoolOptions {
  /** The worker module: its default export handles one task. */
  workerUrl: URL;
  /** Workers, started at once and kept (min = max). */
  threads: number;
  /** Heap limit of each worker in MiB (`resourceLimits.maxOldGenerationSizeMb`). */
  workerMemoryMb?: number;
}

/** The CommonJS script the workers start (built from workerEntry.cts). */
const ENTRY_URL = new URL('./workerEntry.cjs', import.meta.url);

/** A pool of `threads` workers, each running `workerUrl`'s default export on its tasks. */
export function createWorkerPool(options: WorkerPoolOptions): Piscina {
  return new Piscina({
    filename: ENTRY_URL.href,
    workerData: { script: options.workerUrl.href },
    minThreads: options.threads,
    maxThreads: options.threads,
    ...(options.workerMemoryMb ? { resourceLimits: { maxOldGenerationSizeMb: options.workerMemoryMb } } : {}),
  });
}
