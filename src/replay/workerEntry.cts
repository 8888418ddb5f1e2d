/**
 * The script every replay pool's workers start (src/replay/workerPool.ts):
 * CommonJS on purpose, so that piscina's `require()` of it loads no ES
 * module. It loads the pool's real worker (an ES module, its URL in the
 * worker data) with `import()`, as soon as the worker starts, and hands each
 * task to its default export.
 *
 * Why not let piscina `require()` the ES module itself: on Node 20.19 and
 * later that is require(esm), whose synchronous instantiation
 * (`ModuleWrap::InstantiateSync`, node src/module_wrap.cc) calls
 * `module->IsGraphAsync()` on the module even when the worker was terminated
 * during the instantiation, and that call aborts the whole process ("FATAL
 * ERROR: v8::Module::IsGraphAsync must be used on an instantiated module").
 * A worker is terminated while it loads whenever a pool is stopped as it
 * starts one: piscina replaces a worker that died (a crashed vCPU), and the
 * crashed cell's sibling workers are stopped at once (seen in CI, in
 * test/replay-per-vcpu-failures.test.ts). `import()` instantiates
 * asynchronously (`ModuleWrap::Instantiate`), which returns quietly when
 * the worker is terminated.
 */
import { workerData } from 'node:worker_threads';

/** What workerPool.ts puts in the worker data. */
interface EntryData {
  /** `file:` URL of the real worker module. */
  script: string;
}

type Handler = (task: unknown) => unknown;

// Started at once, not on the first task: the module loads while the main thread prepares the work.
// A load that fails rejects every task, which piscina reports as that task's error.
const loaded: Promise<Handler> = import((workerData as EntryData).script).then((module: { default: Handler }) => module.default);
// No unhandled rejection when no task ever comes (the pool is stopped first).
loaded.catch(() => undefined);

export = async function workerEntry(task: unknown): Promise<unknown> {
  return (await loaded)(task);
};
