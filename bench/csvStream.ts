/**
 * `csv-stream`: 20 M-row CSV traces replayed by the real command line,
 * `mmubench run FILE.csv --out DIR` with the default matrix (2 cells) and
 * threads, as a user runs it: rows/s of the whole process (start-up, the
 * checking pass, both cells streaming the file, the report) and its own
 * peak RSS (every thread; the bench/childUsage.ts preload). Targets of
 * issue 14: >= 10 M rows/s, < 300 MB. Two traces, one vCPU each:
 * - cycle: the trace issue 14 measured (8-byte reads cycling over 256
 *   pages, benchTraces.ts `cycle`, written as CSV by `mmubench convert`);
 * - random: `mmubench gen --kind random` over 256 MiB, 30% writes: every
 *   access a TLB miss at the curve's small sizes, so the reach curve and the
 *   replay cost more per row than on the cycle.
 * MMUBENCH_BENCH_CSV_ROWS changes the row count.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './benchResults.js';
import { writeBenchTrace } from './benchTraces.js';
import { CHILD_USAGE_ENV, CHILD_USAGE_PRELOAD, readChildUsage } from './childUsage.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const TARGET = { rowsPerS: 10e6, rssMb: 300 };
/** Runs of `mmubench run` measured. */
const RUNS = 3;

function cli(args: string[], env: Record<string, string> = {}, preload = false): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [...(preload ? ['--import', CHILD_USAGE_PRELOAD] : []), MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 1_800_000,
  });
  if (result.status !== 0) throw new Error(`mmubench ${args[0]} failed (${result.status}): ${result.stderr}`);
  return (performance.now() - started) / 1000;
}

/** How each trace of the suite is written to `path` (`rows` rows). */
const TRACES: readonly { kind: string; write: (path: string, rows: number) => Promise<void> }[] = [
  {
    kind: 'cycle over 256 pages',
    write: async (path, rows) => {
      const mtr = `${path}.mtr`;
      try {
        await writeBenchTrace(mtr, 'cycle', rows);
        cli(['convert', mtr, path, '-q']);
      } finally {
        rmSync(mtr, { force: true });
      }
    },
  },
  { kind: 'random', write: async (path, rows) => void cli(['gen', '--kind', 'random', '--accesses', String(rows), '--out', path]) },
];

export async function csvStreamSuite(dir: string, rows: number): Promise<BenchRow[]> {
  const out: BenchRow[] = [];
  for (const trace of TRACES) out.push(...(await measureTrace(dir, rows, trace)));
  return out;
}

async function measureTrace(dir: string, rows: number, trace: (typeof TRACES)[number]): Promise<BenchRow[]> {
  const path = join(dir, 'stream.csv');
  const out = join(dir, 'stream-report');
  const usageFile = join(dir, 'stream-usage.json');
  try {
    await trace.write(path, rows);
    const sizeMb = statSync(path).size / 2 ** 20;
    // RUNS runs; the median of each figure (other processes on a shared host stretch single runs).
    const runs = Array.from({ length: RUNS }, () => {
      rmSync(out, { recursive: true, force: true });
      const seconds = cli(['run', path, '--out', out, '-q'], { [CHILD_USAGE_ENV]: usageFile }, true);
      return { seconds, ...readChildUsage(usageFile) };
    });
    const median = (pick: (run: (typeof runs)[number]) => number): number => runs.map(pick).sort((a, b) => a - b)[Math.floor(RUNS / 2)];
    const seconds = median((r) => r.seconds);
    const what = `run FILE.csv, ${trace.kind}, ${rows / 1e6} M rows (${Math.round(sizeMb)} MiB), 2 cells, whole process, median of ${RUNS}`;
    const row = { suite: 'csv-stream', arch: 'x86-tdp', meanMs: seconds * 1000, samples: RUNS, clock: 'wall' as const };
    return [
      { ...row, name: `${what}: rows/s`, value: rows / seconds, unit: 'rows/s', target: TARGET.rowsPerS },
      { ...row, name: `${what}: peak RSS`, value: median((r) => r.peakRssMb), unit: 'MB', target: TARGET.rssMb },
      { ...row, name: `${what}: CPU seconds, all threads`, value: median((r) => r.cpuSeconds), unit: 's', target: 0 },
    ];
  } finally {
    rmSync(path, { force: true });
    rmSync(out, { recursive: true, force: true });
  }
}
