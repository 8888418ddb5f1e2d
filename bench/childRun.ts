/**
 * Whole-process runs for the vs-c and huge suites: `node dist/src/cli/main.js
 * ARGS...` as a child, its wall time measured from here (spawn to exit, so
 * Node's start-up and the report are in it), its peak RSS and CPU time from
 * the bench/childUsage.ts preload (its own peak RSS and CPU time at exit,
 * worker threads included), and the run.json it wrote. Also the C reference
 * (native/build/cref-replay, built by native/build.mjs) and the spread of
 * repeated timings.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHILD_USAGE_ENV, CHILD_USAGE_PRELOAD, readChildUsage } from './childUsage.js';

export const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CREF = join(ROOT, 'native', 'build', 'cref-replay');

/** What one `run` child did. */
export interface ChildRun {
  seconds: number;
  /** CPU time of the process, user + system, every thread (robust when the machine is shared, unlike `seconds`). */
  cpuSeconds: number;
  peakRssMb: number;
  /** run.json's `durationMs` (the replay of every cell, from the first task to the last result). */
  durationMs: number;
  /** run.json's first cell's `elapsedMs`. */
  cellMs: number;
  /** The first cell's total accesses and TLB misses. */
  accesses: number;
  tlbMisses: number;
}

/** `node main.js run TRACE --out OUT ...scenario` as a child (OUT replaced each time); throws on a non-zero exit. */
export function runChild(trace: string, out: string, scenario: readonly string[], extraNodeArgs: readonly string[] = []): ChildRun {
  const usageFile = `${out}.usage.json`;
  const args = [...extraNodeArgs, '--import', CHILD_USAGE_PRELOAD, CLI, 'run', trace, '--out', out, '--force', '-q', ...scenario];
  const started = performance.now();
  const result = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, [CHILD_USAGE_ENV]: usageFile },
    timeout: 1_800_000,
    maxBuffer: 1 << 24,
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`run ${trace} exited ${result.status ?? result.signal}: ${result.stderr}`);
  const { peakRssMb, cpuSeconds } = readChildUsage(usageFile);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as {
    durationMs: number;
    cells: { ok: boolean; elapsedMs: number; total: { accesses: number; tlb_misses: number } }[];
  };
  const cell = run.cells[0];
  if (!cell.ok) throw new Error(`run ${trace}: the cell failed (run.json in ${out})`);
  return {
    seconds,
    cpuSeconds,
    peakRssMb,
    durationMs: run.durationMs,
    cellMs: cell.elapsedMs,
    accesses: cell.total.accesses,
    tlbMisses: cell.total.tlb_misses,
  };
}

/** What the C reference printed, and its wall time from here. */
export interface CrefRun {
  accesses: number;
  lookups: number;
  misses: number;
  faults: number;
  /** The replay loop's wall time, and its process CPU time (the clock replayCell's figure uses). */
  loopSeconds: number;
  loopCpuSeconds: number;
  totalSeconds: number;
  /** CPU time of the whole process up to its last line (user + system). */
  totalCpuSeconds: number;
  wallSeconds: number;
}

/** Build the C reference if needed (native/build.mjs); its path, or undefined (with the reason on stderr) without a C compiler. */
export function buildCref(): string | undefined {
  const build = spawnSync(process.execPath, [join(ROOT, 'native', 'build.mjs')], { encoding: 'utf8' });
  if (!existsSync(CREF)) {
    process.stderr.write(`bench: the C reference (bench/cref/replay.c) could not be built, skipping: ${build.stderr.trim()}\n`);
    return undefined;
  }
  return CREF;
}

/** Run the C reference on a CSV trace. */
export function runCref(cref: string, csv: string): CrefRun {
  const started = performance.now();
  const result = spawnSync(cref, [csv], { encoding: 'utf8' });
  const wallSeconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`cref-replay ${csv} exited ${result.status ?? result.signal}: ${result.stderr}`);
  return parseCrefLine(result.stdout, wallSeconds);
}

/** `accesses=N lookups=N misses=N faults=N loop_s=S loop_cpu_s=S total_s=S total_cpu_s=S` as numbers. */
export function parseCrefLine(line: string, wallSeconds: number): CrefRun {
  const field = (key: string): number => {
    const match = new RegExp(`\\b${key}=([0-9.]+)`).exec(line);
    if (match === null) throw new Error(`cref-replay printed no ${key}: ${line}`);
    return Number(match[1]);
  };
  return {
    accesses: field('accesses'),
    lookups: field('lookups'),
    misses: field('misses'),
    faults: field('faults'),
    loopSeconds: field('loop_s'),
    loopCpuSeconds: field('loop_cpu_s'),
    totalSeconds: field('total_s'),
    totalCpuSeconds: field('total_cpu_s'),
    wallSeconds,
  };
}

/** Mean and sample standard deviation. */
export function meanSpread(values: readonly number[]): { mean: number; stddev: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length < 2 ? 0 : values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, stddev: Math.sqrt(variance) };
}
