/**
 * Per-vCPU threads against the deterministic replay: the same 2-vCPU trace
 * replayed on the main thread (`replayCell`) and with `--threads per-vcpu`
 * (two Piscina workers on one shared stage-2, pool kept warm). Prints a table
 * and one throughput line per workload. Run: `node dist/bench/perVcpu.js`
 * after `npm run build`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { Bench } from 'tinybench';
import { generateTrace, GENERATOR_DEFAULTS } from '../src/trace/generators.js';
import { readCsvTrace } from '../src/trace/csvTraceReader.js';
import { replayCell } from '../src/replay/replayCell.js';
import { parseMatrix } from '../src/cli/runOptions.js';
import { runPerVcpu } from '../src/replay/perVcpu/runPerVcpu.js';
import type { Trace } from '../src/trace/traceEvents.js';
import type { Scenario } from '../src/replay/scenario.js';

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

const dir = mkdtempSync(join(tmpdir(), 'mmubench-bench-pervcpu-'));
const pool = new Piscina({ filename: new URL('../src/replay/perVcpu/perVcpuWorker.js', import.meta.url).href, minThreads: 2, maxThreads: 2 });
try {
  const workloads: { name: string; trace: Trace; scenario: Scenario }[] = [
    { name: 'hit-heavy (interleaved, 2M backing)', trace: await load(dir, 'interleaved', interleavedCsv()), scenario: parseMatrix({ backing: '2m', prefault: 'none' })[0] },
    { name: 'fault-heavy (lockstep, 4K backing)', trace: await load(dir, 'lockstep', lockstepCsv()), scenario: parseMatrix({ backing: '4k', prefault: 'none' })[0] },
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
  const rows = bench.tasks.map((task) => {
    const meanMs = task.result.state === 'completed' ? task.result.latency.mean : NaN;
    return { name: task.name, meanMs: Number(meanMs.toFixed(1)), accessesPerSecond: Math.round(ACCESSES / (meanMs / 1000)) };
  });
  console.table(rows);
  for (let i = 0; i < rows.length; i += 2) {
    const [det, par] = [rows[i], rows[i + 1]];
    console.log(
      `per-vCPU vs deterministic, ${workloads[i / 2].name}: ${(par.accessesPerSecond / 1e6).toFixed(2)} vs ${(det.accessesPerSecond / 1e6).toFixed(2)} M accesses/s (x${(par.accessesPerSecond / det.accessesPerSecond).toFixed(2)})`,
    );
  }
  workloads.forEach((w, i) => console.log(`per-vcpu spurious faults per run, ${w.name}: ${Math.round(spurious[i].faults / Math.max(1, spurious[i].runs))}`));
} finally {
  await pool.destroy();
  rmSync(dir, { recursive: true, force: true });
}
