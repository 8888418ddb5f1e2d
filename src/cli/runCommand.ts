/**
 * `mmubench run TRACE... --out DIR`: load and validate everything first, run
 * the (trace x scenario) cells, write the report folder atomically.
 */
import { loadTrace } from '../trace/loadTrace.js';
import type { Trace } from '../trace/traceEvents.js';
import { runMatrix, defaultThreads, type MatrixProgress } from '../replay/runMatrix.js';
import type { CellTask } from '../replay/cellTask.js';
import { checkOutDir, writeReport, type WriteReportOptions } from '../report/writeReport.js';
import type { RunModel } from '../report/runJson.js';
import { InputError, EXIT_FAILED, EXIT_OK } from '../errors.js';
import { DEFAULTS } from '../defaults.js';
import { parseMatrix, parseMemslots, type RawMatrixOptions } from '../replay/parseMatrix.js';
import { isPerVcpuThreads } from './runOptions.js';
import { perVcpuRunInfo, perVcpuSummary, perVcpuThreads, runPerVcpu } from '../replay/perVcpu/runPerVcpu.js';
import { checkPerVcpuSupport } from '../replay/perVcpu/perVcpuSupport.js';
import { ProgressReporter } from './progress.js';
import { VERSION } from './version.js';
import { readVmLayout } from './vmLayout.js';
import { validateLayout } from '../replay/validateLayout.js';
import { inShard, parseShard } from '../replay/shard.js';

export interface RunCommandOptions extends RawMatrixOptions {
  out: string;
  /** `--vm FILE`: a JSON layout (memslots, stolen bits, arch options). */
  vm?: string;
  threads?: string;
  quiet?: boolean;
  force?: boolean;
  /** `I/N`: run only this shard of the matrix cells. */
  shard?: string;
  /** Per-cell time limit, seconds. */
  timeout?: string;
  /** Heap limit of each worker, MiB. */
  workerMemory?: string;
  /** On Ctrl-C, write the cells finished so far as a report marked partial. */
  keepPartial?: boolean;
  /**
   * nightly: called with the finished (not interrupted) run just before the
   * report is written; may add benchmark samples to it and returns the
   * history lines for the trend chart.
   */
  beforeWrite?: (run: RunModel) => Promise<Pick<WriteReportOptions, 'history'>>;
  /**
   * nightly: a `--vm` layout file per trace path, used for that trace's cells
   * instead of the run's memslots (memslots only: no stolenBits or fwb).
   */
  traceLayouts?: ReadonlyMap<string, string>;
}

/** Exit code after Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

function positiveNumber(flag: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) throw new InputError(`${flag}: "${value}" is not a number from 0 to ${max}`);
  return n;
}

/** Parse `--threads auto|N` (0 = inline on the main thread); `per-vcpu` is handled before (isPerVcpuThreads). */
export function parseThreads(value: string | undefined, cells: number): number {
  if (value === undefined || value === 'auto') return defaultThreads(cells);
  if (!/^[0-9]+$/.test(value) || Number(value) > 256) throw new InputError(`--threads: "${value}" is not auto, per-vcpu or an integer from 0 to 256`);
  return Number(value);
}

/** Run and write the report; returns the exit code. */
export async function runCommand(tracePaths: string[], options: RunCommandOptions): Promise<number> {
  const startedAt = new Date();
  // 1. Options, once, at the boundary.
  let memslots = parseMemslots(options.memslot ?? []);
  let matrix: RawMatrixOptions = options;
  if (options.vm !== undefined) {
    if (memslots.length > 0) throw new InputError('--vm: give memslots either in the layout file or with --memslot, not both');
    const layoutFile = await readVmLayout(options.vm);
    memslots = layoutFile.memslots;
    matrix = { ...options, stolenBits: options.stolenBits ?? layoutFile.stolenBits, fwb: options.fwb ?? layoutFile.fwb };
  }
  const scenarios = parseMatrix(matrix);
  const shard = options.shard === undefined ? undefined : parseShard(options.shard);
  if (tracePaths.length === 0) throw new InputError('run: give at least one trace file');
  await checkOutDir(options.out, { force: options.force === true });
  // 2. Every trace, validated before any replay.
  const traces: Trace[] = [];
  // Binary traces stream at replay (flat memory), except for per-vCPU threads, which index the events.
  const stream = !isPerVcpuThreads(options.threads);
  // Imported traces (FORMAT:path) say what they skipped, as `mmubench import` does.
  const onNote = options.quiet === true ? undefined : (message: string) => process.stderr.write(`${message}\n`);
  for (const path of tracePaths) traces.push(await loadTrace(path, { stream, onNote }));
  const names = new Set<string>();
  for (const trace of traces) {
    if (names.has(trace.name)) throw new InputError(`${trace.path}: another trace is also named "${trace.name}"; rename one`);
    names.add(trace.name);
  }
  // 3. The cells, in (trace, scenario) order.
  const layout = { memslots, defaultSlotAlignBytes: DEFAULTS.defaultSlotAlignBytes };
  validateLayout(scenarios, layout);
  const ownLayouts = new Map<Trace, typeof layout>();
  for (const trace of traces) {
    const file = options.traceLayouts?.get(trace.path);
    if (file === undefined) continue;
    const own = await readVmLayout(file);
    if (own.stolenBits !== undefined || own.fwb !== undefined) throw new InputError(`${file}: a trace's own layout may set memslots only (not stolenBits or fwb)`);
    const traceLayout = { memslots: own.memslots, defaultSlotAlignBytes: DEFAULTS.defaultSlotAlignBytes };
    validateLayout(scenarios, traceLayout);
    ownLayouts.set(trace, traceLayout);
  }
  const tasks: CellTask[] = traces
    .flatMap((trace) => scenarios.map((scenario) => ({ trace, scenario, layout: ownLayouts.get(trace) ?? layout })))
    .filter((_, position) => inShard(position, shard));
  // --threads per-vcpu: one worker per vCPU, refused up front where unsupported (docs/per-vcpu-threads.md).
  const perVcpu = isPerVcpuThreads(options.threads);
  if (perVcpu) checkPerVcpuSupport(scenarios, traces, layout);
  const threads = perVcpu ? perVcpuThreads(traces.map((t) => t.vcpuCount)) : parseThreads(options.threads, tasks.length);
  const timeoutSeconds = positiveNumber('--timeout', options.timeout, 7 * 24 * 3600);
  const workerMemoryMb = positiveNumber('--worker-memory', options.workerMemory, 1 << 20);
  if (threads === 0 && (timeoutSeconds !== undefined || workerMemoryMb !== undefined)) {
    throw new InputError('--timeout and --worker-memory need worker threads (a replay on the main thread cannot be stopped): drop --threads 0');
  }
  const progress = new ProgressReporter(options.quiet === true);
  const started = performance.now();
  // Ctrl-C: stop the workers, then leave no report unless --keep-partial.
  const interrupt = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\nmmubench: interrupted, stopping the workers\n');
    interrupt.abort();
  };
  process.once('SIGINT', onSigint);
  let outcomes;
  try {
    const matrixOptions = {
      threads,
      onProgress: (p: MatrixProgress) => progress.update(p),
      signal: interrupt.signal,
      timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
      workerMemoryMb,
    };
    outcomes = await (perVcpu ? runPerVcpu(tasks, matrixOptions) : runMatrix(tasks, matrixOptions));
  } finally {
    process.off('SIGINT', onSigint);
    progress.stop();
  }
  // 4. Bad input found during replay (an impossible row) fails the run without a report.
  const badInput = outcomes.find((o) => !o.ok && o.error.kind === 'input');
  if (badInput && !badInput.ok) throw new InputError(badInput.error.message);
  const run: RunModel = {
    info: {
      tool: 'mmubench',
      version: VERSION,
      command: process.argv.slice(1),
      node: process.version,
      startedAt: startedAt.toISOString(),
      durationMs: performance.now() - started,
      threads,
      traces: traces.map((t) => ({ path: t.path, name: t.name, events: t.events.count, vcpus: t.vcpuCount })),
      scenarios: scenarios.map((s) => s.name),
      ...(shard ? { shard } : {}),
      ...(perVcpu ? perVcpuRunInfo(outcomes) : {}),
    },
    outcomes,
  };
  if (interrupt.signal.aborted) {
    if (!options.keepPartial) {
      process.stderr.write(`mmubench: no report written (use --keep-partial to keep the ${outcomes.filter((o) => o.ok).length} finished cells)\n`);
      return EXIT_INTERRUPTED;
    }
    run.info.partial = true;
  }
  const extra = !interrupt.signal.aborted && options.beforeWrite ? await options.beforeWrite(run) : {};
  await writeReport(options.out, run, { ...extra, force: options.force === true });
  if (interrupt.signal.aborted) {
    process.stderr.write(`mmubench: partial report in ${options.out}\n`);
    return EXIT_INTERRUPTED;
  }
  const failed = outcomes.filter((o) => !o.ok);
  for (const f of failed) if (!f.ok) process.stderr.write(`mmubench: cell ${f.trace} / ${f.scenario.name} failed: ${f.error.message}\n`);
  if (!options.quiet) {
    if (perVcpu) process.stdout.write(perVcpuSummary(outcomes));
    process.stdout.write(`mmubench: ${outcomes.length - failed.length}/${outcomes.length} cells, report in ${options.out}\n`);
  }
  return failed.length > 0 ? EXIT_FAILED : EXIT_OK;
}
