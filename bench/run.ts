/**
 * `npm run bench`: tinybench suites for the replay engine. Prints a table and
 * writes bench/results/latest.json. Numbers quoted in notes come from here,
 * never from timed unit tests.
 */
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { generateTrace, GENERATOR_DEFAULTS, type GeneratorKind } from '../src/trace/generators.js';
import { readCsvTrace } from '../src/trace/csvTraceReader.js';
import { replayCell } from '../src/replay/replayCell.js';
import { parseMatrix } from '../src/cli/runOptions.js';
import type { Trace } from '../src/trace/traceEvents.js';

const ACCESSES = 200_000;

async function makeTrace(dir: string, kind: GeneratorKind, memoryBytes: number): Promise<Trace> {
  const path = join(dir, `${kind}.csv`);
  writeFileSync(path, [...generateTrace({ ...GENERATOR_DEFAULTS, kind, accesses: ACCESSES, memoryBytes })].join('\n') + '\n');
  return readCsvTrace(path);
}

const dir = mkdtempSync(join(tmpdir(), 'mmubench-bench-'));
try {
  // Hit-heavy: a 4 MiB hot set in 2 MiB pages. Fault-heavy: 4 KiB pages, each touched once.
  const hot = await makeTrace(dir, 'hotcold', 1 << 30);
  const boot = await makeTrace(dir, 'boot', ACCESSES * 4096);
  const layout = { memslots: [], defaultSlotAlignBytes: 1 << 30 };
  const [hugeScenario] = parseMatrix({ backing: '2m', prefault: 'none' });
  const [smallScenario] = parseMatrix({ backing: '4k', prefault: 'none' });
  const bench = new Bench({ time: 2000, warmupTime: 500 });
  bench
    .add(`replay hit-heavy (hotcold, 2M backing), ${ACCESSES} accesses`, () => {
      replayCell(hot, hugeScenario, layout);
    })
    .add(`replay fault-heavy (boot, 4K backing), ${ACCESSES} accesses`, () => {
      replayCell(boot, smallScenario, layout);
    });
  await bench.run();
  const rows = bench.tasks.map((task) => {
    const result = task.result;
    const meanMs = result.state === 'completed' ? result.latency.mean : NaN;
    return {
      name: task.name,
      meanMs,
      accessesPerSecond: Math.round(ACCESSES / (meanMs / 1000)),
      samples: result.state === 'completed' ? result.latency.samplesCount : 0,
    };
  });
  console.table(rows);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/latest.json', JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
