/**
 * The places where `mmubench` starts a worker or runs the engine on its own, as options, so that a
 * caller can substitute them (tests do: test/helpers/testCli.mjs gives workers that crash or hang
 * and an engine that is slower on purpose). The `mmubench` command itself (main.ts) passes none and
 * gets the defaults; nothing here reads the environment.
 */
import type { QuickBenchReplay } from '../replay/quickBench.js';

export interface Seams {
  /** Piscina worker script of the cell pool (`--threads N`); default dist/src/replay/worker.js. */
  cellWorkerUrl?: URL;
  /** Piscina worker script of `--threads per-vcpu`; default dist/src/replay/perVcpu/perVcpuWorker.js. */
  vcpuWorkerUrl?: URL;
  /** One iteration of the nightly's quick benchmark; default one `replayCell`. */
  benchReplay?: QuickBenchReplay;
}
