/**
 * Failing cells: a worker that throws, runs out of memory, exits, or hangs
 * past --timeout fails its own cell; the other cells finish, the report marks
 * the failure and the exit code is 1. Ctrl-C stops the workers and leaves no
 * report unless --keep-partial. Faults come from the test-only workers of
 * test/helpers/testCli.mjs (`--fault KIND:TRACE`), which the real command
 * never starts.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, runTestCli, TEST_CLI, tempDir } from './helpers/runCli.js';

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
      const result = runTestCli(['--fault', `${kind}:host-events`, 'run', ...TRACES, '--out', out, ...FLAGS, ...extra]);
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
    const result = runTestCli(['--fault', 'hang:host-events', 'run', ...TRACES, '--out', out, ...FLAGS, '--timeout', '2']);
    expect(result.status, result.stderr).toBe(1);
    const stored = cells(out);
    expect(stored[0].error).toEqual({ kind: 'timeout', message: 'timed out after 2 s' });
    expect(stored[1].ok).toBe(true);
  });

  it("a cell's --timeout counts from its own start, not while it waits for a worker", () => {
    // One worker: interleaved-2vcpu waits the 2 s host-events hangs, then replays in a few ms. Had
    // its clock started with the run, it would time out too.
    const out = join(tempDir(), 'out');
    const result = runTestCli(['--fault', 'hang:host-events', 'run', ...TRACES, '--out', out, ...FLAGS, '--threads', '1', '--timeout', '2']);
    expect(result.status, result.stderr).toBe(1);
    expect(cells(out).map((c) => [c.trace, c.ok, c.error?.kind])).toEqual([
      ['host-events', false, 'timeout'],
      ['interleaved-2vcpu', true, undefined],
    ]);
  });

  it('--timeout with --threads 0 is bad usage', () => {
    const out = join(tempDir(), 'out');
    const result = runCli(['run', TRACES[0], '--out', out, '--threads', '0', '--timeout', '5']);
    expect(result.status).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});

/**
 * Run the command on one worker with interleaved-2vcpu's cell first and host-events' hanging
 * second, and send SIGINT once the hanging worker says it hangs: by then the first cell is done
 * and recorded (one worker: the second cell starts only after the first one's result came back),
 * whatever the machine's speed. Resolves with the exit code and stderr.
 */
function interruptedWhileHanging(out: string, extra: string[] = []): Promise<{ code: number | null; stderr: string }> {
  const args = ['--fault', 'hang:host-events', 'run', TRACES[1], TRACES[0], '--out', out, ...FLAGS, '--threads', '1', ...extra];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TEST_CLI, ...args], { cwd: REPO_ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.includes('faulty worker: hanging in host-events\n') && !child.killed) child.kill('SIGINT');
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('Ctrl-C', () => {
  it('stops the workers and leaves no report folder; exit 130', async () => {
    const out = join(tempDir(), 'out');
    const { code, stderr } = await interruptedWhileHanging(out);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('mmubench: no report written (use --keep-partial to keep the 1 finished cells)');
    expect(existsSync(out)).toBe(false);
  });

  it('with --keep-partial writes the finished cells, marked partial', async () => {
    const out = join(tempDir(), 'out');
    const { code, stderr } = await interruptedWhileHanging(out, ['--keep-partial']);
    expect(code, stderr).toBe(130);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.partial).toBe(true);
    expect(run.cells.map((c: StoredCell) => [c.trace, c.ok, c.error?.kind])).toEqual([
      ['interleaved-2vcpu', true, undefined],
      ['host-events', false, 'aborted'],
    ]);
  });
});
