/**
 * Suite `per-vcpu` of `npm run bench`: per-vCPU threads against the
 * deterministic replay, the same 2-vCPU trace replayed on the main thread
 * (`replayCell`) and with `--threads per-vcpu` (two Piscina workers on one
 * shared stage-2, pool kept warm). One throughput row per (mode, workload),
 * the speed-up, and the spurious faults the races caused per run.
 * Alone: `node dist/bench/run.js per-vcpu`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWorkerPool } from '../src/replay/workerPool.js';
import { Bench } from 'tinybench';
import { generateTrace, GENERATOR_DEFAULTS } from '../src/trace/generators.js';
import { readCsvTrace } from '../src/trace/csvTraceReader.js';
import { replayCell } from '../src/replay/replayCell.js';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { runPerVcpu } from '../src/replay/perVcpu/runPerVcpu.js';
import type { Trace } from '../src/trace/traceEvents.js';
import type { Scenario } from '../src/replay/scenario.js';
import type { BenchRow } from './benchResults.js';

const ACCESSES = 400_000;
const LAYOUT = { memslots: [], defaultSlotAlignBytes: 1 << 30 };

/** Hit-heavy: two vCPUs each streaming their own half of 64 MiB in 2M pages (`gen --kind interleaved`). */
function interleavedCsv(): string {
  return [...generateTrace({ ...GENERATOR_DEFAULTS, kind: 'interleaved', vcpus: 2, accesses: ACCESSES, memoryBytes: 64 << 20 })].join('\n') + '\n';
}

/** Fault-heavy and racy: both vCPUs fault the same 4 KiB pages in lockstep. */
function lockstepCsv(): string {
  const rows = ['vcpu,op,gpa,size'];
  for (let page = 0; page < ACCESSES / 2; page++) rows.push(`0,R,0x${(page * 4096).toString(16)},8`, `1,W,0x${(page * 4096 + 8).toString(16)},8`);
  return rows.join('\n') + '\n';
}

async function load(dir: string, name: string, csv: string): Promise<Trace> {
  const path = join(dir, `${name}.csv`);
  writeFileSync(path, csv);
  return readCsvTrace(path);
}

/** Throughput of both modes on a hit-heavy and a fault-heavy 2-vCPU trace (wall clock: the per-vCPU mode spends its time in workers). */
export async function perVcpuSuite(dir: string): Promise<BenchRow[]> {
  const pool = createWorkerPool({ workerUrl: new URL('../src/replay/perVcpu/perVcpuWorker.js', import.meta.url), threads: 2 });
  try {
    const workloads: { name: string; trace: Trace; scenario: Scenario }[] = [
      {
        name: 'hit-heavy (interleaved, 2M backing)',
        trace: await load(dir, 'interleaved', interleavedCsv()),
        scenario: parseMatrix({ backing: '2m', prefault: 'none' })[0],
      },
      {
        name: 'fault-heavy (lockstep, 4K backing)',
        trace: await load(dir, 'lockstep', lockstepCsv()),
        scenario: parseMatrix({ backing: '4k', prefault: 'none' })[0],
      },
    ];
    const bench = new Bench({ time: 3000, warmupTime: 500 });
    const spurious = workloads.map(() => ({ faults: 0, runs: 0 }));
    for (const [index, w] of workloads.entries()) {
      bench.add(`deterministic, 1 thread: ${w.name}`, () => {
        replayCell(w.trace, w.scenario, LAYOUT);
      });
      bench.add(`per-vcpu, 2 workers: ${w.name}`, async () => {
        const [outcome] = await runPerVcpu([{ trace: w.trace, scenario: w.scenario, layout: LAYOUT }], { pool });
        if (!outcome.ok) throw new Error(outcome.error.message);
        spurious[index].faults += outcome.result.total.faults_spurious;
        spurious[index].runs++;
      });
    }
    await bench.run();
    const rows: BenchRow[] = [];
    for (const [index, w] of workloads.entries()) {
      const timed = [0, 1].map((k) => {
        const task = bench.tasks[index * 2 + k];
        const completed = task.result.state === 'completed';
        const meanMs = completed ? task.result.latency.mean : NaN;
        const samples = completed ? task.result.latency.samplesCount : 0;
        return { name: task.name, meanMs, samples, perSecond: ACCESSES / (meanMs / 1000) };
      });
      for (const t of timed) {
        rows.push({
          suite: 'per-vcpu',
          name: t.name,
          arch: 'x86-tdp',
          value: t.perSecond,
          unit: 'accesses/s',
          meanMs: t.meanMs,
          samples: t.samples,
          clock: 'wall',
          target: 0,
        });
      }
      rows.push({
        suite: 'per-vcpu',
        name: `speed-up of per-vcpu over deterministic: ${w.name}`,
        arch: 'x86-tdp',
        value: timed[1].perSecond / timed[0].perSecond,
        unit: 'x',
        meanMs: 0,
        samples: 0,
        clock: 'wall',
        target: 0,
      });
      const perRun = spurious[index].faults / Math.max(1, spurious[index].runs);
      rows.push({
        suite: 'per-vcpu',
        name: `spurious faults per per-vcpu run: ${w.name}`,
        arch: 'x86-tdp',
        value: Math.round(perRun),
        unit: 'faults',
        meanMs: 0,
        samples: spurious[index].runs,
        clock: '',
        target: 0,
      });
    }
    return rows;
  } finally {
    await pool.destroy();
  }
}
