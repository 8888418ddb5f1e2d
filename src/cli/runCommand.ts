/**
 * `mmubench run TRACE... --out DIR`, in three steps:
 *
 * 1. `planRun`: options, the output path, every trace and the cells, all
 *    checked before any replay (bad input: `InputError`, exit 2).
 * 2. `replayPlan`: the cells on the pool (or per-vCPU threads), with a
 *    progress bar and Ctrl-C.
 * 3. `reportRun`: the run model, the report folder (atomically), the summary
 *    line and the exit code.
 */
import { loadTrace } from '../trace/loadTrace.js';
import { TRACE_EVENT_BYTES, type Trace } from '../trace/traceEvents.js';
import { runMatrix, defaultThreads, type MatrixProgress } from '../replay/runMatrix.js';
import type { CellOutcome } from '../replay/results.js';
import type { Scenario } from '../replay/scenario.js';
import type { Shard } from '../replay/shard.js';
import type { CellTask } from '../replay/cellTask.js';
import { prepareCharts, writeReport, type WriteReportOptions } from '../report/writeReport.js';
import { checkOutputPath } from '../outputPath.js';
import { rm } from 'node:fs/promises';
import { removeStaleTemps, tempSibling } from '../tempNames.js';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { RunModel } from '../report/runJson.js';
import { InputError, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from '../errors.js';
import { DEFAULTS } from '../defaults.js';
import { parseMatrix, parseMemslots, type RawMatrixOptions } from '../replay/parseMatrix.js';
import { isPerVcpuThreads } from './runOptions.js';
import { perVcpuThreads, runPerVcpu } from '../replay/perVcpu/runPerVcpu.js';
import { perVcpuRunInfo, perVcpuSummary } from './perVcpuSummary.js';
import { checkPerVcpuSupport } from '../replay/perVcpu/perVcpuSupport.js';
import type { Seams } from './seams.js';
import { loadCostProfile } from './loadCostProfile.js';
import type { CostSource } from '../replay/costProfile.js';
import { withEstimates } from '../replay/estimateCosts.js';
import { CountProgressBar, ProgressReporter } from './progress.js';
import { VERSION } from './version.js';
import { readVmLayout } from './vmLayout.js';
import { validateLayout } from '../replay/validateLayout.js';
import type { Layout } from '../replay/openCell.js';
import { inShard, parseShard } from '../replay/shard.js';
import { shardFromEnvironment } from './ciShard.js';

export interface RunCommandOptions extends RawMatrixOptions {
  out: string;
  /** `--vm FILE`: a JSON layout (memslots, stolen bits, arch options). */
  vm?: string;
  threads?: string;
  quiet?: boolean;
  force?: boolean;
  /** `I/N`: run only this shard of the matrix cells; `auto`: from the CI engine's parallel-job variables (ciShard.ts). */
  shard?: string;
  /** `--shard auto` on a Kubernetes Indexed Job: the total (the Job's completions). */
  shardTotal?: string;
  /** Per-cell time limit, seconds. */
  timeout?: string;
  /** Heap limit of each worker, MiB. */
  workerMemory?: string;
  /** MiB of trace events held in memory (decoded once, shared by the workers); larger traces stream. */
  traceMemory?: string;
  /** On Ctrl-C, write the cells finished so far as a report marked partial. */
  keepPartial?: boolean;
  /**
   * nightly: `next-free` writes `out`, else `out-2`, `out-3`... whichever is
   * free when the report is complete (concurrent nightlies of one second);
   * default `exact`.
   */
  reportName?: 'exact' | 'next-free';
  /**
   * nightly: called with the finished (not interrupted) run just before the
   * report is written; may add benchmark samples to it and returns the
   * history lines for the trend chart.
   */
  beforeWrite?: (run: RunModel) => Promise<Pick<WriteReportOptions, 'history'>>;
  /** Worker scripts to start instead of the real ones (tests: test/helpers/testCli.mjs). */
  seams?: Pick<Seams, 'cellWorkerUrl' | 'vcpuWorkerUrl'>;
  /** `--costs FILE`: the cost profile for the estimates (default: the built-in one). */
  costs?: string;
  /** false: `--no-tlb-reach` (no reach curves, no tlb-reach.csv); default `DEFAULTS.tlbReach`. */
  tlbReach?: boolean;
  /**
   * nightly: a `--vm` layout file per trace path, used for that trace's cells
   * instead of the run's memslots (memslots only: no stolenBits or fwb).
   */
  traceLayouts?: ReadonlyMap<string, string>;
}

/** `--trace-memory MIB` (0: every trace streams), in bytes. */
function traceMemoryBytes(value: string): number {
  const mib = Number(value);
  if (value.trim() === '' || !Number.isFinite(mib) || mib < 0 || mib > 1 << 20) {
    throw new InputError(`--trace-memory: "${value}" is not a number of MiB from 0 to ${1 << 20}`);
  }
  return Math.floor(mib * 2 ** 20);
}

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

/** What a run did: its exit code and, when a report was written, the folder and the run. */
export interface RunOutcome {
  exitCode: number;
  outDir?: string;
  run?: RunModel;
}

/** Run and write the report; returns the exit code. */
export async function runCommand(tracePaths: string[], options: RunCommandOptions): Promise<number> {
  return (await runReport(tracePaths, options)).exitCode;
}

/** Run and write the report (the three steps of the file comment). */
export async function runReport(tracePaths: string[], options: RunCommandOptions): Promise<RunOutcome> {
  const startedAt = new Date();
  const copies = await decodedCopiesFolder();
  try {
    const plan = await planRun(tracePaths, options, copies);
    // While workers replay, the main thread has nothing to do but wait: it readies the charts then.
    const chartsReady = plan.threads > 0 ? prepareCharts() : undefined;
    const replayed = await replayPlan(plan, options);
    await chartsReady;
    return await reportRun(plan, replayed, options, startedAt);
  } finally {
    await rm(copies, { recursive: true, force: true });
  }
}

/**
 * The temporary folder for the decoded copies of streamed CSV traces
 * (src/trace/csvDecodedCopy.ts, which makes it with the first copy):
 * `.mmubench-decoded.tmp-PID-OWNER` in the system's temporary folder,
 * removed when the run ends, or by the next run when this one is killed
 * (`removeStaleTemps`, here).
 */
async function decodedCopiesFolder(): Promise<string> {
  await removeStaleTemps(tmpdir());
  return tempSibling(join(tmpdir(), 'mmubench-decoded'));
}

/** Everything checked before any replay. */
interface RunPlan {
  scenarios: Scenario[];
  /** The cost profile of the estimates (`--costs`, or the built-in one). */
  costs: CostSource;
  shard?: Shard;
  traces: Trace[];
  tasks: CellTask[];
  perVcpu: boolean;
  threads: number;
  timeoutSeconds?: number;
  workerMemoryMb?: number;
}

/** Step 1: options, output path, traces, cells; throws `InputError` on anything bad. */
async function planRun(tracePaths: string[], options: RunCommandOptions, copies: string): Promise<RunPlan> {
  // 1a. Options and layout, once, at the boundary.
  const costs = await loadCostProfile(options.costs);
  let memslots = parseMemslots(options.memslot ?? []);
  let matrix: RawMatrixOptions = options;
  if (options.vm !== undefined) {
    if (memslots.length > 0) throw new InputError('--vm: give memslots either in the layout file or with --memslot, not both');
    const layoutFile = await readVmLayout(options.vm);
    memslots = layoutFile.memslots;
    matrix = { ...options, stolenBits: options.stolenBits ?? layoutFile.stolenBits, fwb: options.fwb ?? layoutFile.fwb };
  }
  const scenarios = parseMatrix(matrix);
  const shard = resolveShard(options);
  const timeoutSeconds = positiveNumber('--timeout', options.timeout, 7 * 24 * 3600);
  const workerMemoryMb = positiveNumber('--worker-memory', options.workerMemory, 1 << 20);
  const inMemoryBytes = traceMemoryBytes(options.traceMemory ?? DEFAULTS.traceMemoryMb);
  if (tracePaths.length === 0) throw new InputError('run: give at least one trace file');
  // 1b. The output, before reading a possibly long trace.
  if (options.reportName === 'next-free') await checkOutputPath('--out', dirname(options.out), { kind: 'folder' });
  else await checkOutputPath('--out', options.out, { kind: 'folder-new', force: options.force === true });
  // 1c. Every trace, validated.
  // A CSV trace that streams is decoded once into `copies` when several cells replay it.
  const traces = await loadTraces(tracePaths, options, inMemoryBytes, scenarios.length > 1 ? copies : undefined);
  // 1d. The cells, in (trace, scenario) order.
  const layout = { memslots, defaultSlotAlignBytes: DEFAULTS.defaultSlotAlignBytes };
  validateLayout(scenarios, layout);
  const ownLayouts = await traceOwnLayouts(traces, scenarios, options.traceLayouts);
  const tlbReach = options.tlbReach ?? DEFAULTS.tlbReach;
  const tasks: CellTask[] = traces
    .flatMap((trace) => scenarios.map((scenario) => ({ trace, scenario, layout: ownLayouts.get(trace) ?? layout, tlbReach })))
    .filter((_, position) => inShard(position, shard));
  // --threads per-vcpu: one worker per vCPU, refused up front where unsupported (docs/per-vcpu-threads.md).
  const perVcpu = isPerVcpuThreads(options.threads);
  if (perVcpu) checkPerVcpuSupport(scenarios, traces);
  const threads = perVcpu ? perVcpuThreads(traces.map((t) => t.vcpuCount)) : parseThreads(options.threads, tasks.length);
  if (threads === 0 && (timeoutSeconds !== undefined || workerMemoryMb !== undefined)) {
    throw new InputError('--timeout and --worker-memory need worker threads (a replay on the main thread cannot be stopped): drop --threads 0');
  }
  return { scenarios, costs, shard, traces, tasks, perVcpu, threads, timeoutSeconds, workerMemoryMb };
}

/** `--shard`: `I/N`, `auto` (the CI engine's variables; says which it used), or none. */
function resolveShard(options: RunCommandOptions): Shard | undefined {
  if (options.shardTotal !== undefined && options.shard !== 'auto') throw new InputError('--shard-total: only with --shard auto');
  if (options.shard === undefined) return undefined;
  if (options.shard !== 'auto') return parseShard(options.shard);
  const { shard, source } = shardFromEnvironment(process.env, options.shardTotal);
  if (options.quiet !== true) process.stderr.write(`mmubench: ${source}\n`);
  return shard;
}

/** The layouts of the traces that have their own (`traceLayouts`), each checked against every scenario. */
async function traceOwnLayouts(
  traces: readonly Trace[],
  scenarios: readonly Scenario[],
  files: ReadonlyMap<string, string> | undefined,
): Promise<Map<Trace, Layout>> {
  const own = new Map<Trace, Layout>();
  for (const trace of traces) {
    const file = files?.get(trace.path);
    if (file === undefined) continue;
    const parsed = await readVmLayout(file);
    if (parsed.stolenBits !== undefined || parsed.fwb !== undefined)
      throw new InputError(`${file}: a trace's own layout may set memslots only (not stolenBits or fwb)`);
    const layout = { memslots: parsed.memslots, defaultSlotAlignBytes: DEFAULTS.defaultSlotAlignBytes };
    validateLayout(scenarios, layout);
    own.set(trace, layout);
  }
  return own;
}

/**
 * Load and validate every trace; two traces may not share a name (the report
 * keys cells by it). Traces that fit in what is left of `inMemoryBytes` are
 * held in memory (decoded once, shared by the workers); the others stream.
 */
async function loadTraces(tracePaths: string[], options: RunCommandOptions, inMemoryBytes: number, copies: string | undefined): Promise<Trace[]> {
  const traces: Trace[] = [];
  // Traces stream at replay (flat memory), except for per-vCPU threads, which index the events.
  const stream = !isPerVcpuThreads(options.threads);
  // Imported traces (FORMAT:path) say what they skipped, as `mmubench import` does.
  const onNote = options.quiet === true ? undefined : (message: string) => process.stderr.write(`${message}\n`);
  const decodedCopies = copies === undefined ? undefined : { dir: copies, onNote };
  // A streamed binary trace is checked as the replay reads it (one pass over the file, issue 14): a
  // bad chunk fails its cells with kind `input`, and `reportRun` then exits 2 without a report.
  let left = inMemoryBytes;
  for (const path of tracePaths) {
    // A long checking pass (a large CSV) shows its progress.
    const checking = new CountProgressBar(`check ${basename(path)}`, options.quiet === true);
    const onCheckProgress = (doneBytes: number, totalBytes: number): void => checking.update(doneBytes, totalBytes);
    try {
      const trace = await loadTrace(path, { stream, checkNow: false, onNote, inMemoryBytes: left, decodedCopies, onCheckProgress });
      if (trace.stream === undefined) left = Math.max(0, left - trace.events.count * TRACE_EVENT_BYTES);
      traces.push(trace);
    } finally {
      checking.stop();
    }
  }
  const names = new Set<string>();
  for (const trace of traces) {
    if (names.has(trace.name)) throw new InputError(`${trace.path}: another trace is also named "${trace.name}"; rename one`);
    names.add(trace.name);
  }
  return traces;
}

/** Step 2: replay the cells; Ctrl-C stops the workers (`interrupted`). */
async function replayPlan(plan: RunPlan, options: RunCommandOptions): Promise<{ outcomes: CellOutcome[]; interrupted: boolean; durationMs: number }> {
  const progress = new ProgressReporter(options.quiet === true);
  const started = performance.now();
  const interrupt = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\nmmubench: interrupted, stopping the workers\n');
    interrupt.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const matrixOptions = {
      threads: plan.threads,
      onProgress: (p: MatrixProgress) => progress.update(p),
      signal: interrupt.signal,
      timeoutMs: plan.timeoutSeconds === undefined ? undefined : plan.timeoutSeconds * 1000,
      workerMemoryMb: plan.workerMemoryMb,
      workerUrl: plan.perVcpu ? options.seams?.vcpuWorkerUrl : options.seams?.cellWorkerUrl,
    };
    const outcomes = await (plan.perVcpu ? runPerVcpu(plan.tasks, matrixOptions) : runMatrix(plan.tasks, matrixOptions));
    return { outcomes, interrupted: interrupt.signal.aborted, durationMs: performance.now() - started };
  } finally {
    process.off('SIGINT', onSigint);
    progress.stop();
  }
}

/** The run model of a replay. */
function runModel(plan: RunPlan, outcomes: CellOutcome[], startedAt: Date, durationMs: number): RunModel {
  const { traces, scenarios, shard, threads, perVcpu, costs } = plan;
  return {
    info: {
      tool: 'mmubench',
      version: VERSION,
      command: process.argv.slice(1),
      node: process.version,
      startedAt: startedAt.toISOString(),
      durationMs,
      threads,
      traces: traces.map((t) => ({ path: t.path, name: t.name, events: t.events.count, vcpus: t.vcpuCount })),
      scenarios: scenarios.map((s) => s.name),
      ...(shard ? { shard } : {}),
      costs,
      ...(perVcpu ? perVcpuRunInfo(outcomes) : {}),
    },
    outcomes,
  };
}

/** Step 3: the report (none for bad input found during replay, or after Ctrl-C without --keep-partial), the summary, the exit code. */
async function reportRun(
  plan: RunPlan,
  replayed: { outcomes: CellOutcome[]; interrupted: boolean; durationMs: number },
  options: RunCommandOptions,
  startedAt: Date,
): Promise<RunOutcome> {
  const { interrupted } = replayed;
  // Bad input found during replay (an impossible row) fails the run without a report.
  const badInput = replayed.outcomes.find((o) => !o.ok && o.error.kind === 'input');
  if (badInput && !badInput.ok) throw new InputError(badInput.error.message);
  // Estimated stage-2 time: counters priced by the cost profile (deterministic, like the counters).
  const outcomes = withEstimates(replayed.outcomes, plan.costs.profile);
  const run = runModel(plan, outcomes, startedAt, replayed.durationMs);
  if (interrupted) {
    if (!options.keepPartial) {
      process.stderr.write(`mmubench: no report written (use --keep-partial to keep the ${outcomes.filter((o) => o.ok).length} finished cells)\n`);
      return { exitCode: EXIT_INTERRUPTED };
    }
    run.info.partial = true;
  }
  const extra = !interrupted && options.beforeWrite ? await options.beforeWrite(run) : {};
  const onNote = options.quiet === true ? undefined : (message: string) => void process.stderr.write(`mmubench: ${message}\n`);
  const outDir = await writeReport(options.out, run, { ...extra, force: options.force === true, name: options.reportName, onNote });
  if (interrupted) {
    process.stderr.write(`mmubench: partial report in ${outDir}\n`);
    return { exitCode: EXIT_INTERRUPTED, outDir, run };
  }
  const failed = outcomes.filter((o) => !o.ok);
  for (const f of failed) if (!f.ok) process.stderr.write(`mmubench: cell ${f.trace} / ${f.scenario.name} failed: ${f.error.message}\n`);
  if (!options.quiet) {
    if (plan.perVcpu) process.stdout.write(perVcpuSummary(outcomes));
    process.stdout.write(`mmubench: ${outcomes.length - failed.length}/${outcomes.length} cells, report in ${outDir}\n`);
  }
  return { exitCode: failed.length > 0 ? EXIT_FAILED : EXIT_OK, outDir, run };
}
