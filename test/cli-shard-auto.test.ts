/**
 * `run --shard auto` takes the shard from the CI engine's parallel-job
 * variables (src/cli/ciShard.ts), says which it used, and refuses with exit 2
 * when none is set. The unit cases check each engine's index base; one CLI
 * run checks the line on stderr and the shard in run.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shardFromEnvironment } from '../src/cli/ciShard.js';
import { expectBadInput, runCli, tempDir } from './helpers/runCli.js';

describe('--shard auto', () => {
  it('reads each engine with its own index base', () => {
    // GitLab numbers jobs 1..N; CircleCI, Buildkite and Kubernetes 0..N-1: all three below are the second of three.
    expect(shardFromEnvironment({ CI_NODE_INDEX: '2', CI_NODE_TOTAL: '3' }, undefined).shard).toEqual({ index: 2, count: 3 });
    expect(shardFromEnvironment({ CIRCLE_NODE_INDEX: '1', CIRCLE_NODE_TOTAL: '3' }, undefined).shard).toEqual({ index: 2, count: 3 });
    expect(shardFromEnvironment({ BUILDKITE_PARALLEL_JOB: '1', BUILDKITE_PARALLEL_JOB_COUNT: '3' }, undefined).shard).toEqual({ index: 2, count: 3 });
    expect(shardFromEnvironment({ JOB_COMPLETION_INDEX: '1' }, '3')).toEqual({
      shard: { index: 2, count: 3 },
      source: '--shard auto: shard 2/3 from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX=1, --shard-total 3)',
    });
  });

  it('refuses what no engine or an inconsistent one says', () => {
    expect(() => shardFromEnvironment({}, undefined)).toThrow(
      '--shard auto: none of CI_NODE_INDEX, CIRCLE_NODE_INDEX, BUILDKITE_PARALLEL_JOB, JOB_COMPLETION_INDEX is set (not a parallel CI job?); give --shard I/N',
    );
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '0' }, undefined)).toThrow(
      '--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but --shard-total N (the Job’s completions) is not',
    );
    // Index 3 of 3 on a 0-based engine is the fourth job: beyond the total.
    expect(() => shardFromEnvironment({ CIRCLE_NODE_INDEX: '3', CIRCLE_NODE_TOTAL: '3' }, undefined)).toThrow('--shard: "4/3" is not I/N');
    expect(() => shardFromEnvironment({ CI_NODE_INDEX: 'x', CI_NODE_TOTAL: '2' }, undefined)).toThrow('--shard auto: CI_NODE_INDEX="x" is not a whole number');
  });

  it('run: says which engine it used and writes that shard to run.json; exit 2 without one', () => {
    const dir = tempDir();
    const out = join(dir, 'gitlab');
    const result = runCli(['run', 'traces/host-events.csv', '--out', out, '--shard', 'auto', '--arch', 'x86-tdp,arm64', '--threads', '0'], {
      CI_NODE_INDEX: '1',
      CI_NODE_TOTAL: '2',
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('mmubench: --shard auto: shard 1/2 from GitLab CI (CI_NODE_INDEX=1, CI_NODE_TOTAL=2)\n');
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    // 2 arches x prefault none,all = 4 cells; shard 1/2 holds cells 0 and 2.
    expect([run.shard, run.cells.length]).toEqual([{ index: 1, count: 2 }, 2]);
    const none = join(dir, 'none');
    expectBadInput(
      // The variables blanked, in case the machine running the tests is itself a parallel CI job.
      runCli(['run', 'traces/host-events.csv', '--out', none, '--shard', 'auto', '-q'], {
        CI_NODE_INDEX: '',
        CIRCLE_NODE_INDEX: '',
        BUILDKITE_PARALLEL_JOB: '',
        JOB_COMPLETION_INDEX: '',
      }),
      none,
      '--shard auto: none of CI_NODE_INDEX, CIRCLE_NODE_INDEX, BUILDKITE_PARALLEL_JOB, JOB_COMPLETION_INDEX is set (not a parallel CI job?); give --shard I/N',
    );
  });
});
