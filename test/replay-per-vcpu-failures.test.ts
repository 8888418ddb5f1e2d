/**
 * `--threads per-vcpu` failing cells: when one vCPU's worker exits or hangs
 * past --timeout, its cell fails (its sibling workers are stopped too) and the
 * other cells finish; exit 1 with a report. Faults are injected on vCPU 1
 * by the test-only per-vCPU worker of test/helpers/testCli.mjs (`--fault`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTestCli, tempDir } from './helpers/runCli.js';

const TRACES = ['traces/interleaved-2vcpu.csv', 'traces/random-uniform.csv'];
const FLAGS = ['--prefault', 'none', '--threads', 'per-vcpu', '-q'];

function cells(out: string): { ok: boolean; trace: string; error?: { kind: string; message: string } }[] {
  return JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).cells;
}

describe('mmubench run --threads per-vcpu: failing cells', () => {
  it('a vCPU worker that exits fails its cell only; exit 1', () => {
    const out = join(tempDir(), 'out');
    const result = runTestCli(['--fault', 'exit:interleaved-2vcpu', 'run', ...TRACES, '--out', out, ...FLAGS]);
    expect(result.status, result.stderr).toBe(1);
    const stored = cells(out);
    expect(stored.map((c) => [c.trace, c.ok])).toEqual([
      ['interleaved-2vcpu', false],
      ['random-uniform', true],
    ]);
    expect(stored[0].error?.kind).toBe('crash');
    expect(stored[0].error?.message).toMatch(/exit/i);
  });

  it('a vCPU worker that hangs past --timeout fails its cell with kind timeout', () => {
    const out = join(tempDir(), 'out');
    const result = runTestCli(['--fault', 'hang:interleaved-2vcpu', 'run', ...TRACES, '--out', out, ...FLAGS, '--timeout', '2']);
    expect(result.status, result.stderr).toBe(1);
    const stored = cells(out);
    expect(stored[0].error).toEqual({ kind: 'timeout', message: 'timed out after 2 s' });
    expect(stored[1].ok).toBe(true);
  });
});
