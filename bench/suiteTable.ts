/**
 * Every suite of `npm run bench` by name, in the order `bench/run.ts` runs
 * them, and the ones it runs only when named. docs/benchmarks.md lists the
 * same suites (test/docs-bench-suites.test.ts holds it to this table).
 */
import { DEFAULT_SIZES, decodeSuite, ingestSuite, poolSuite, replaySuite } from './suites.js';
import { peakRssSuite } from './peakRss.js';
import { csvStreamSuite } from './csvStream.js';
import { perVcpuSuite } from './perVcpu.js';
import { soakSuite } from './soak.js';
import { reachSuite } from './reachCurve.js';
import { vsCSuite } from './vsC.js';
import { hugeSuite } from './huge.js';
import type { BenchRow } from './benchResults.js';

/** Events of the `memory` suite's streamed trace (MMUBENCH_BENCH_RSS_EVENTS). */
const RSS_EVENTS = Number(process.env.MMUBENCH_BENCH_RSS_EVENTS ?? 100_000_000);

/** One suite: given the bench's temporary folder, its rows. */
export type Suite = (dir: string) => Promise<BenchRow[]> | BenchRow[];

export const SUITES: Readonly<Record<string, Suite>> = {
  ingest: (dir) => ingestSuite(dir, DEFAULT_SIZES),
  decode: (dir) => decodeSuite(dir, DEFAULT_SIZES),
  replay: (dir) => replaySuite(dir, DEFAULT_SIZES),
  pool: (dir) => poolSuite(dir, DEFAULT_SIZES),
  'per-vcpu': (dir) => perVcpuSuite(dir),
  reach: () => reachSuite(),
  memory: (dir) => peakRssSuite(dir, RSS_EVENTS),
  'csv-stream': (dir) => csvStreamSuite(dir, Number(process.env.MMUBENCH_BENCH_CSV_ROWS ?? 20_000_000)),
  soak: (dir) => soakSuite(dir, Number(process.env.MMUBENCH_SOAK_RUNS ?? 50), process.env.MMUBENCH_SOAK_BENCH_TIME ?? '1000'),
  'vs-c': (dir) => vsCSuite(dir),
  huge: (dir) => hugeSuite(dir),
};

/** Suites run only when named (`huge`: an 8 GB temp file and a few minutes). */
export const OPT_IN: ReadonlySet<string> = new Set(['huge']);
