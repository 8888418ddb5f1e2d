/**
 * The rows `npm run bench` measures, printed as a table and written to
 * bench/results/latest.json and latest.csv (one row per measured number).
 * Pure formatting: the suites measure, this only writes.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { Bench } from 'tinybench';

/** One measured number. */
export interface BenchRow {
  /** Suite: ingest, decode, replay, pool, per-vcpu, reach, memory. */
  suite: string;
  /** What was measured, stable across runs (the key a comparison matches on). */
  name: string;
  /** Architecture profile, for replay rows ('' otherwise). */
  arch: string;
  /** The number, in `unit`. */
  value: number;
  unit: string;
  /** Mean time of one iteration, ms (0 when not timed by tinybench). */
  meanMs: number;
  /** Iterations measured. */
  samples: number;
  /** `cpu`: process CPU time (robust on a shared machine); `wall`: elapsed time. */
  clock: 'cpu' | 'wall' | '';
  /** Target from issue 5 or 14, in `unit` (0: none); met when `value` reaches it, or stays under it for `LOWER_IS_BETTER` units. */
  target: number;
  /** Sample standard deviation of `value` over repeated runs, in `unit` (vs-c: whole-process runs); absent when not measured. */
  spread?: number;
}

/** Units whose targets are ceilings (memory, time, a multiple of the C reference's time). */
const LOWER_IS_BETTER = new Set(['MB', 's', 'x C time']);

/** '', 'yes' or 'NO': whether a row meets its target. */
export function targetMet(row: BenchRow): string {
  if (row.target === 0) return '';
  return (LOWER_IS_BETTER.has(row.unit) ? row.value < row.target : row.value >= row.target) ? 'yes' : 'NO';
}

const COLUMNS: (keyof BenchRow)[] = ['suite', 'name', 'arch', 'value', 'unit', 'meanMs', 'samples', 'clock', 'target', 'spread'];

/** CPU time of this process (user + system), ms: the clock of single-thread suites. */
export function cpuNowMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** CPU time (ms) each in-process task first runs unmeasured: about what TurboFan needs to finish compiling the replay. */
export const WARMUP_CPU_MS = 1000;

/**
 * The bench of the single-thread, in-process suites: CPU clock, at least 1 s
 * and 3 iterations measured, after at least `WARMUP_CPU_MS` (and one
 * iteration) of warm-up. The clock is the whole process's, so a task still
 * being optimised counts the compiler's background threads too: with one
 * warm-up iteration, as before 2026-12-08, the fault-heavy replay's first
 * measured iterations took 1.2-2x its steady time (docs/benchmarks.md).
 */
export function cpuBench(): Bench {
  return new Bench({ time: 1000, warmupTime: WARMUP_CPU_MS, warmupIterations: 1, iterations: 3, now: cpuNowMs });
}

/** Mean iteration time (ms) and sample count of a finished tinybench task. */
export function taskTiming(bench: Bench, name: string): { meanMs: number; samples: number } {
  const task = bench.getTask(name);
  const result = task?.result;
  if (result === undefined || result.state !== 'completed') throw new Error(`bench task "${name}" did not complete: ${result?.state}`);
  return { meanMs: result.latency.mean, samples: result.latency.samplesCount };
}

function formatNumber(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(value < 1 ? 3 : 2);
}

/** Rows as a console table, numbers rounded for reading. */
export function printRows(rows: readonly BenchRow[]): void {
  console.table(
    rows.map((r) => ({
      suite: r.suite,
      name: r.name,
      arch: r.arch,
      value: formatNumber(r.value),
      '±': r.spread === undefined ? '' : formatNumber(r.spread),
      unit: r.unit,
      'mean ms': r.meanMs.toFixed(1),
      n: r.samples,
      clock: r.clock,
      target: r.target === 0 ? '' : formatNumber(r.target),
      met: targetMet(r),
    })),
  );
}

/** Write `latest.json` and `latest.csv` into `dir` (each through a temp file and a rename). */
export function writeRows(dir: string, rows: readonly BenchRow[], meta: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  const write = (name: string, text: string): void => {
    const temp = join(dir, `.${name}.tmp-${process.pid}`);
    writeFileSync(temp, text);
    renameSync(temp, join(dir, name));
  };
  write('latest.json', JSON.stringify({ ...meta, rows }, null, 2) + '\n');
  write(
    'latest.csv',
    stringify(
      rows.map((r) => COLUMNS.map((c) => r[c])),
      { header: true, columns: COLUMNS as string[] },
    ),
  );
}
