/**
 * Failing cells: a worker that throws, runs out of memory, exits, or hangs
 * past --timeout fails its own cell; the other cells finish, the report marks
 * the failure and the exit code is 1. Ctrl-C stops the workers and leaves no
 * report unless --keep-partial. Faults are injected with the test-only
 * MMUBENCH_TEST_FAULT switch (src/replay/worker.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, runCli, tempDir } from './helpers/runCli.js';

const TRACES = ['traces/host-events.csv', 'traces/interleaved-2vcpu.csv'];
const FLAGS = ['--prefault', 'none', '--threads', '2', '-q'];

interface StoredCell {
  ok: boolean;
  trace: string;
  error?: { kind: string; message: string };
}

function cells(out: string): StoredCell[] {
  return JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).cells;
}

describe('failing cells', () => {
  for (const [kind, extra, expected] of [
    ['throw', [], /injected fault in host-events/],
    ['exit', [], /exit/i],
    ['oom', ['--worker-memory', '48'], /memory/i],
  ] as const) {
    it(`a worker that ${kind === 'throw' ? 'throws' : kind === 'exit' ? 'exits' : 'runs out of memory'} fails its cell only; exit 1`, () => {
      const out = join(tempDir(), 'out');
      const result = runCli(['run', ...TRACES, '--out', out, ...FLAGS, ...extra], { MMUBENCH_TEST_FAULT: `${kind}:host-events` });
      expect(result.status, result.stderr).toBe(1);
      const stored = cells(out);
      expect(stored.map((c) => [c.trace, c.ok])).toEqual([
        ['host-events', false],
        ['interleaved-2vcpu', true],
      ]);
      expect(stored[0].error?.kind).toBe('crash');
      expect(stored[0].error?.message).toMatch(expected);
      const csv = readFileSync(join(out, 'results.csv'), 'utf8');
      expect(csv).toContain('interleaved-2vcpu,');
      expect(csv).not.toContain('host-events,');
    });
  }

  it('a cell over --timeout fails with kind timeout; the others finish', () => {
    const out = join(tempDir(), 'out');
    const result = runCli(['run', ...TRACES, '--out', out, ...FLAGS, '--timeout', '2'], { MMUBENCH_TEST_FAULT: 'hang:host-events' });
    expect(result.status, result.stderr).toBe(1);
    const stored = cells(out);
    expect(stored[0].error).toEqual({ kind: 'timeout', message: 'timed out after 2 s' });
    expect(stored[1].ok).toBe(true);
  });

  it('--timeout with --threads 0 is bad usage', () => {
    const out = join(tempDir(), 'out');
    const result = runCli(['run', TRACES[0], '--out', out, '--threads', '0', '--timeout', '5']);
    expect(result.status).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});

/** Run the CLI, send SIGINT after `afterMs`, resolve with its exit code and stderr. */
function interrupted(args: string[], afterMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, MMUBENCH_TEST_FAULT: 'hang:host-events' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    setTimeout(() => child.kill('SIGINT'), afterMs);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('Ctrl-C', () => {
  it('stops the workers and leaves no report folder; exit 130', async () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const { code, stderr } = await interrupted(['run', ...TRACES, '--out', out, ...FLAGS], 3000);
    expect(code).toBe(130);
    expect(stderr).toContain('no report written');
    expect(existsSync(out)).toBe(false);
  });

  it('with --keep-partial writes the finished cells, marked partial', async () => {
    const out = join(tempDir(), 'out');
    const { code } = await interrupted(['run', ...TRACES, '--out', out, ...FLAGS, '--keep-partial'], 3000);
    expect(code).toBe(130);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.partial).toBe(true);
    expect(run.cells.map((c: StoredCell) => [c.trace, c.ok, c.error?.kind])).toEqual([
      ['host-events', false, 'aborted'],
      ['interleaved-2vcpu', true, undefined],
    ]);
  });
});
