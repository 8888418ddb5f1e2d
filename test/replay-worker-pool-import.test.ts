/**
 * The replay pools' workers evaluate their module through import(), never
 * through require() of an ES module: a worker terminated during require(esm)
 * aborts the whole process on Node 20.19+ (src/replay/workerEntry.cts).
 *
 * Hand-checked: a plain `new Piscina({ filename })` of the same module on
 * Node 20.20 gives a stack with `loadESMFromCJS` and
 * `ModuleLoader.importSyncForRequire` below the module's frame; through
 * createWorkerPool the frames below it are `ModuleJob.run` and
 * `ModuleLoader.import`.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/runCli.js';

// The built module (dist/, as the CLI runs it): the workers start dist/src/replay/workerEntry.cjs, which only the build makes.
const POOL_MODULE = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'replay', 'workerPool.js')).href;

describe('replay worker pool', () => {
  it('evaluates the worker module with import(), not require(esm)', async () => {
    const { createWorkerPool } = (await import(POOL_MODULE)) as typeof import('../src/replay/workerPool.js');
    const pool = createWorkerPool({ workerUrl: new URL('./helpers/loadStackWorker.mjs', import.meta.url), threads: 1 });
    try {
      const stack = (await pool.run(0)) as string;
      expect(stack).toMatch(/loadStackWorker\.mjs/);
      expect(stack).toMatch(/ModuleLoader\.import\b/);
      expect(stack).not.toMatch(/loadESMFromCJS|importSyncForRequire/);
    } finally {
      await pool.destroy();
    }
  });
});
