/**
 * The nightly's quick benchmark: two small tinybench tasks (a hit-heavy and
 * a fault-heavy replay) whose raw iteration times go into run.json, so that
 * `compare` can test two nightlies' timings with a rank test. The full
 * suites are `npm run bench` (bench/run.ts); this one is only long enough
 * (about `timeMs` per task) to give a few dozen samples.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { generateTrace, GENERATOR_DEFAULTS, type GeneratorKind } from '../trace/generators.js';
import { readCsvTrace } from '../trace/csvTraceReader.js';
import type { Trace } from '../trace/traceEvents.js';
import { parseMatrix } from './parseMatrix.js';
import type { BenchmarkSamples } from './results.js';
import { replayCell } from './replayCell.js';
import type { Layout } from './openCell.js';
import type { Scenario } from './scenario.js';

/** Guest accesses of each quick-benchmark trace: a few ms per iteration. */
export const QUICK_BENCH_ACCESSES = 20_000;

/** What one benchmark iteration runs: a replay of `trace` under `scenario`. */
export type QuickBenchReplay = (trace: Trace, scenario: Scenario, layout: Layout) => unknown;

export interface QuickBenchOptions {
  /** Measuring time per task, CPU ms (tinybench `time`); at least 10 iterations are run. */
  timeMs: number;
  /**
   * The iteration; default `replayCell`. The end-to-end regression test gives one that replays
   * twice (test/helpers/slowReplay.mjs), a real and known slowdown.
   */
  replay?: QuickBenchReplay;
}

/**
 * CPU time of this process (user + system), ms: tinybench's clock for the
 * quick bench. The worker pool is closed by then, so it is the replay's own
 * time plus the garbage collector's.
 */
export function cpuNowMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function makeTrace(dir: string, kind: GeneratorKind, memoryBytes: number): Promise<Trace> {
  const path = join(dir, `${kind}.csv`);
  await writeFile(path, [...generateTrace({ ...GENERATOR_DEFAULTS, kind, accesses: QUICK_BENCH_ACCESSES, memoryBytes })].join('\n') + '\n');
  return readCsvTrace(path);
}

/**
 * Run the two tasks one after the other and return their samples (task
 * names are the keys `compare` matches on: keep them stable).
 *
 * 1. Generate the two seeded traces (same bytes on every run).
 * 2. tinybench with `retainSamples`, a short warm-up, `timeMs` of CPU time
 *    per task (longer in wall time on a busy machine).
 * 3. Samples (CPU ms per iteration, ascending) as `BenchmarkSamples`.
 */
export async function quickBench(options: QuickBenchOptions): Promise<BenchmarkSamples[]> {
  // 1. Traces: a 4 MiB hot set in 2 MiB pages (TLB hits), and a boot touching each 4 KiB page once (faults).
  const dir = await mkdtemp(join(tmpdir(), 'mmubench-quickbench-'));
  let hot: Trace;
  let boot: Trace;
  try {
    hot = await makeTrace(dir, 'hotcold', 1 << 30);
    boot = await makeTrace(dir, 'boot', QUICK_BENCH_ACCESSES * 4096);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const layout: Layout = { memslots: [], defaultSlotAlignBytes: 1 << 30 };
  const [hugeScenario] = parseMatrix({ backing: '2m', prefault: 'none' });
  const [smallScenario] = parseMatrix({ backing: '4k', prefault: 'none' });
  const replay = options.replay ?? replayCell;
  // 2. The bench. The clock
  //    is this process's CPU time, not wall time: on a shared machine other processes stretch wall
  //    time by 50% either way between two runs, CPU time by a few % (docs/comparing.md).
  const bench = new Bench({ time: options.timeMs, warmupTime: Math.min(200, options.timeMs / 4), iterations: 10, retainSamples: true, now: cpuNowMs });
  const tasks = [
    { name: `quick replay hit-heavy (hotcold, 2M backing), ${QUICK_BENCH_ACCESSES} accesses`, trace: hot, scenario: hugeScenario },
    { name: `quick replay fault-heavy (boot, 4K backing), ${QUICK_BENCH_ACCESSES} accesses`, trace: boot, scenario: smallScenario },
  ];
  for (const task of tasks) {
    bench.add(task.name, () => {
      replay(task.trace, task.scenario, layout);
    });
  }
  await bench.run();
  // 3. Samples.
  return tasks.map(({ name, trace }) => {
    const result = bench.getTask(name)?.result;
    if (result === undefined || result.state !== 'completed' || result.latency.samples === undefined) {
      throw new Error(`quick benchmark ${name}: ${result?.state === 'errored' ? String(result.error) : 'no samples'}`);
    }
    return { name, accessesPerIteration: trace.events.count, samplesMs: [...result.latency.samples] };
  });
}
