/**
 * `npm run bench`: the tinybench suites of issue 5, printed as one table and
 * written to bench/results/latest.json and latest.csv (benchResults.ts).
 * Numbers quoted in notes come from here, never from timed unit tests.
 *
 * Suites (bench/suites.ts, bench/peakRss.ts): CSV ingest rows/s, binary
 * decode records/s, replay accesses/s per arch (hit-, fault-, flush-heavy),
 * Piscina pool 1 vs 2 workers, per-vCPU threads vs deterministic replay
 * (bench/perVcpu.ts), the TLB reach curve's lookups/s (bench/reachCurve.ts),
 * peak RSS of a 100 M-access streamed replay, a 20 M-row CSV replayed by
 * `mmubench run` (rows/s and peak RSS of the whole process,
 * bench/csvStream.ts; MMUBENCH_BENCH_CSV_ROWS changes the rows), and the
 * soak: 50 nightlies in a row, identical results.csv, flat peak RSS
 * (bench/soak.ts), and our replay beside the C reference (`vs-c`,
 * bench/vsC.ts, bench/cref/replay.c). Run only when named: `huge`, a
 * 1e9-access streamed cell (bench/huge.ts).
 * The suites by name: bench/suiteTable.ts.
 * `node dist/bench/run.js SUITE...` runs only the named suites (e.g. `soak`);
 * MMUBENCH_BENCH_RSS_EVENTS changes the RSS trace length (default 100 M),
 * MMUBENCH_SOAK_RUNS and MMUBENCH_SOAK_BENCH_TIME the soak's runs (50) and
 * quick-benchmark ms per task (1000), MMUBENCH_VS_C_REPEATS the vs-c
 * whole-process repetitions (5), MMUBENCH_HUGE_ACCESSES the huge cell's
 * length (1e9).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPT_IN, SUITES } from './suiteTable.js';
import { printRows, writeRows, type BenchRow } from './benchResults.js';

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in SUITES)) {
    process.stderr.write(`bench: unknown suite "${name}" (suites: ${Object.keys(SUITES).join(', ')})\n`);
    process.exit(2);
  }
}
const dir = mkdtempSync(join(tmpdir(), 'mmubench-bench-'));
const rows: BenchRow[] = [];
const started = Date.now();
try {
  for (const [name, suite] of Object.entries(SUITES)) {
    if (wanted.length > 0 ? !wanted.includes(name) : OPT_IN.has(name)) continue;
    const suiteStarted = Date.now();
    process.stderr.write(`bench: ${name}...\n`);
    rows.push(...(await suite(dir)));
    process.stderr.write(`bench: ${name} done in ${((Date.now() - suiteStarted) / 1000).toFixed(0)} s\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
printRows(rows);
const meta = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: availableParallelism(),
  loadAverage: (await import('node:os')).loadavg(),
  seconds: (Date.now() - started) / 1000,
};
writeRows('bench/results', rows, meta);
process.stderr.write(`bench: wrote bench/results/latest.json and latest.csv (${meta.seconds.toFixed(0)} s)\n`);
