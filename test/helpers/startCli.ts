/**
 * Start the built command as a child process without waiting for it, for
 * tests that run several at once or kill one at a chosen point; and a
 * bounded poll of the file system for such a point (never a fixed sleep).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CLI, REPO_ROOT, type CliResult } from './runCli.js';

/** The preload that fixes the clock of a child (test/helpers/fixedClock.mjs). */
export const FIXED_CLOCK = fileURLToPath(new URL('./fixedClock.mjs', import.meta.url));

export interface StartedCli {
  child: ChildProcess;
  /** Resolves when the child has exited (status null when killed: see `signal`). */
  done: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

/** Start `node [--import fixedClock] main.js ...args` (cwd: the repository); `now` fixes the child's clock. */
export function startCli(args: readonly string[], options: { now?: string; env?: Record<string, string> } = {}): StartedCli {
  const preload = options.now === undefined ? [] : ['--import', FIXED_CLOCK];
  const child = spawn(process.execPath, [...preload, CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env, ...(options.now === undefined ? {} : { MMUBENCH_TEST_NOW: options.now }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, done };
}

/**
 * Poll `condition` every few milliseconds until it holds; throws after
 * `limitMs` (a bound on a wait for an event, not a timing of it).
 */
export async function waitFor(what: string, condition: () => boolean, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${limitMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
