/**
 * `run --shard I/N` + `merge` gives the unsharded report's results.csv, byte
 * for byte; shards that do not fit together are refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectBadInput, runCli, tempDir } from './helpers/runCli.js';

const TRACES = ['traces/host-events.csv', 'traces/interleaved-2vcpu.csv'];
const MATRIX = ['--arch', 'x86-tdp,arm64', '--backing', '4k,2m', '--threads', '0', '-q'];

describe('sharding', () => {
  it('shards 1/3, 2/3 and 3/3 merged equal the unsharded run', () => {
    const dir = tempDir();
    expect(runCli(['run', ...TRACES, '--out', join(dir, 'all'), ...MATRIX]).status).toBe(0);
    for (const i of [1, 2, 3]) {
      const result = runCli(['run', ...TRACES, '--out', join(dir, `s${i}`), '--shard', `${i}/3`, ...MATRIX]);
      expect(result.status, result.stderr).toBe(0);
    }
    const merged = runCli(['merge', join(dir, 's3'), join(dir, 's1'), join(dir, 's2'), '--out', join(dir, 'merged'), '-q']);
    expect(merged.status, merged.stderr).toBe(0);
    const whole = readFileSync(join(dir, 'all', 'results.csv'), 'utf8');
    // 2 traces x 8 scenarios, each with its vCPU rows and a totals row.
    expect(whole.split('\n').length).toBeGreaterThan(16);
    expect(readFileSync(join(dir, 'merged', 'results.csv'), 'utf8')).toBe(whole);
  });

  it('a shard holds every N-th cell: 1/3 of 16 cells is 6 cells', () => {
    const dir = tempDir();
    runCli(['run', ...TRACES, '--out', join(dir, 's1'), '--shard', '1/3', ...MATRIX]);
    const run = JSON.parse(readFileSync(join(dir, 's1', 'run.json'), 'utf8'));
    expect(run.cells).toHaveLength(6);
    expect(run.shard).toEqual({ index: 1, count: 3 });
  });

  it('merge refuses a missing shard', () => {
    const dir = tempDir();
    runCli(['run', ...TRACES, '--out', join(dir, 's1'), '--shard', '1/2', ...MATRIX]);
    const out = join(dir, 'merged');
    expectBadInput(runCli(['merge', join(dir, 's1'), '--out', out]), out, 'merge: shards 2/2 are missing');
  });

  it('merge refuses shards priced with different cost profiles', () => {
    const dir = tempDir();
    const costs = join(dir, 'costs.json');
    writeFileSync(costs, '{"costs": {"walk_ref": 1}}');
    runCli(['run', ...TRACES, '--out', join(dir, 's1'), '--shard', '1/2', ...MATRIX]);
    runCli(['run', ...TRACES, '--out', join(dir, 's2'), '--shard', '2/2', '--costs', costs, ...MATRIX]);
    const out = join(dir, 'merged');
    expectBadInput(
      runCli(['merge', join(dir, 's1'), join(dir, 's2'), '--out', out]),
      out,
      `${join(dir, 's2')}/run.json: priced with another cost profile (--costs) than ${join(dir, 's1')}`,
    );
  });

  it('--shard 3/2 is bad usage', () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    expectBadInput(runCli(['run', TRACES[0], '--out', out, '--shard', '3/2']), out, '--shard: "3/2" is not I/N with 1 <= I <= N <= 1024 (e.g. 2/4)');
  });
});
