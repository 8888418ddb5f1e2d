/**
 * Bench suite `reach`: the TLB reach curve (src/tlb/reachCurve.ts), lookups
 * per second of CPU time, one pass giving the misses at all 13 sizes: uniform
 * lookups over 100 000 translations (every size from 16 to 65536 misses
 * part of the time), and the same with a 512-frame range flush every 10 000
 * lookups. What feeding the curve adds to a replay, per TLB lookup.
 */
import { ReachCurve } from '../src/tlb/reachCurve.js';
import { cpuBench, taskTiming, type BenchRow } from './benchResults.js';

const LOOKUPS = 2_000_000;
const TAGS = 100_000;

function feed(flushEvery: number): void {
  const curve = new ReachCurve();
  let x = 12345;
  for (let i = 0; i < LOOKUPS; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const gfn = x % TAGS;
    curve.lookup(gfn * 4 + 1, true);
    if (flushEvery > 0 && i % flushEvery === 0) curve.invalidateRange(gfn, gfn + 512);
  }
}

export async function reachSuite(): Promise<BenchRow[]> {
  const bench = cpuBench();
  const tasks = [
    { name: 'reach curve, 100k translations', flushEvery: 0 },
    { name: 'reach curve, 100k translations, range flush every 10k', flushEvery: 10_000 },
  ];
  for (const t of tasks) bench.add(t.name, () => feed(t.flushEvery));
  await bench.run();
  return tasks.map((t) => {
    const { meanMs, samples } = taskTiming(bench, t.name);
    return { suite: 'reach', name: t.name, arch: '', value: LOOKUPS / (meanMs / 1000), unit: 'lookups/s', meanMs, samples, clock: 'cpu' as const, target: 0 };
  });
}
