/**
 * Drives native/kvm-runner: builds it when missing (native/build.mjs, the
 * system C compiler), runs it with a job on stdin and parses its JSON. The
 * outcome is data: a result, a skip with its reason, or a failure message.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseRunnerOutput, type RunnerOutput } from './runnerOutput.js';

/** The repository root (this file is src/validate/ or dist/src/validate/). */
function repoRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/src/') ? fileURLToPath(new URL('../../../', import.meta.url)) : fileURLToPath(new URL('../../', import.meta.url));
}

/** Path of the runner binary and of its build script. */
export const RUNNER_PATH = `${repoRoot()}native/build/kvm-runner`;
export const RUNNER_BUILD_SCRIPT = `${repoRoot()}native/build.mjs`;

/** Runner exit status for "skipped" (stdout: `{"skipped": "why"}`). */
const RUNNER_SKIPPED = 3;

export type RunnerOutcome = { kind: 'ok'; output: RunnerOutput } | { kind: 'skipped'; reason: string } | { kind: 'failed'; message: string; badJob: boolean };

/**
 * Build the runner when it is missing or older than its source. Returns
 * undefined when it is ready, else why it is not (no compiler, a failed
 * build), with what to do.
 */
export function ensureRunner(): string | undefined {
  const result = spawnSync(process.execPath, [RUNNER_BUILD_SCRIPT], { encoding: 'utf8' });
  if (result.status === 0 && existsSync(RUNNER_PATH)) return undefined;
  const why = (result.stderr || result.error?.message || `exit ${result.status}`).trim().split('\n').slice(-1)[0];
  return `the KVM runner could not be built (${why}); install a C compiler (Debian: apt-get install build-essential) and run \`node native/build.mjs\``;
}

/** Run `job` through the runner (built already). */
export function runKvmRunner(job: string, timeoutMs = 120_000): RunnerOutcome {
  const result = spawnSync(RUNNER_PATH, [], { input: job, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (result.error) return { kind: 'failed', message: `kvm-runner: ${result.error.message}`, badJob: false };
  if (result.status === RUNNER_SKIPPED) {
    try {
      return { kind: 'skipped', reason: String((JSON.parse(result.stdout) as { skipped: unknown }).skipped) };
    } catch {
      return { kind: 'skipped', reason: result.stdout.trim() };
    }
  }
  if (result.status !== 0) {
    const message = result.stderr.trim() || `kvm-runner exited with status ${result.status ?? result.signal}`;
    return { kind: 'failed', message, badJob: result.status === 2 };
  }
  try {
    return { kind: 'ok', output: parseRunnerOutput(result.stdout) };
  } catch (error) {
    return { kind: 'failed', message: `kvm-runner: unreadable output: ${(error as Error).message}`, badJob: false };
  }
}
