/**
 * Output paths that cannot be written are refused before any work, by every
 * command, in one line (src/outputPath.ts). `/proc/nope/x` used to hang
 * `run` for ever (Node's recursive mkdir retries an ENOENT from procfs) and
 * `/sys/nope/x` printed a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, expectOneLineError, fixture, runCli, tempDir } from './helpers/runCli.js';

const trace = fixture('tiny-valid.csv');
/** procfs exists but creates nothing: mkdir there answers ENOENT. */
const procfs = (flag: string, path: string): string => `${flag}: ${path}: cannot create it in /proc: that file system accepts no new entries (ENOENT)`;

describe('an output path that cannot be created', () => {
  it('run --out /proc/nope/x: exit 2, one line (it used to hang)', () => {
    expectOneLineError(runCli(['run', trace, '--out', '/proc/nope/x', '-q']), procfs('--out', '/proc/nope/x'));
  });

  it('run --out /sys/nope/x: exit 2, one line with EPERM (it used to print a stack)', () => {
    expectOneLineError(runCli(['run', trace, '--out', '/sys/nope/x', '-q']), '--out: /sys/nope/x: cannot create it in /sys: operation not permitted (EPERM)');
  });

  it('a file where a folder of the path should be', () => {
    const file = join(tempDir(), 'file');
    writeFileSync(file, 'x');
    expectOneLineError(runCli(['run', trace, '--out', join(file, 'sub', 'out'), '-q']), `--out: ${join(file, 'sub', 'out')}: ${file} is a file, not a folder`);
  });

  // Root may write anywhere: the permission case runs the command as nobody (uid 65534), so it needs
  // root, and a clone nobody can read (a clone under a 0700 folder, e.g. from mktemp -d, is not).
  const root = process.getuid?.() === 0;
  const nobodyCanRun =
    root && spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(CLI)})`], { uid: 65534, gid: 65534 }).status === 0;
  if (!root) console.warn('test/cli-output-paths.test.ts: skipping the EACCES case: not root, cannot run the command as another user');
  else if (!nobodyCanRun) console.warn(`test/cli-output-paths.test.ts: skipping the EACCES case: user nobody cannot read ${CLI}`);
  it.skipIf(!nobodyCanRun)('a folder the user may not write to: EACCES, exit 2 (run as nobody)', () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const out = join(dir, 'out');
    const result = spawnSync(process.execPath, [CLI, 'run', trace, '--out', out, '-q'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      uid: 65534,
      gid: 65534,
      timeout: 50_000,
    });
    expectOneLineError(
      { status: result.status, stdout: result.stdout, stderr: result.stderr },
      `--out: ${out}: cannot create it in ${dir}: permission denied (EACCES)`,
    );
  });

  it('a folder given as an output file', () => {
    const dir = tempDir();
    expectOneLineError(runCli(['gen', '--kind', 'boot', '--out', dir]), `--out: ${dir} is a folder, not a file`);
  });

  it('every command checks its output the same way', () => {
    const dir = tempDir();
    const cases: [string[], string][] = [
      [['gen', '--kind', 'boot', '--out', '/proc/nope.csv'], procfs('--out', '/proc/nope.csv')],
      [['convert', trace, '/proc/nope.mtr'], procfs('OUT', '/proc/nope.mtr')],
      [['import', '--format', 'lackey', fixture('lackey-tiny.log'), '--out', '/proc/nope.csv'], procfs('--out', '/proc/nope.csv')],
      [['merge', dir, '--out', '/proc/nope/merged'], procfs('--out', '/proc/nope/merged')],
      [['validate', trace, '--out', '/proc/nope/v'], procfs('--out', '/proc/nope/v')],
      [['compare', dir, dir, '--out', '/proc/nope/c'], procfs('--out', '/proc/nope/c')],
      [
        ['nightly', '--config', 'test/fixtures/nightly-tiny.json', '--reports', '/proc/nope/reports', '--bench-time', '0'],
        procfs('--reports', '/proc/nope/reports'),
      ],
    ];
    for (const [args, message] of cases) expectOneLineError(runCli(args), message);
  });

  it('MMUBENCH_DEBUG=1 adds the stack after the same line', () => {
    const result = runCli(['run', trace, '--out', '/proc/nope/x', '-q'], { MMUBENCH_DEBUG: '1' });
    expect(result.status).toBe(2);
    const [first, ...rest] = result.stderr.trimEnd().split('\n');
    expect(first).toBe(`mmubench: ${procfs('--out', '/proc/nope/x')}`);
    expect(
      rest.some((line) => /^\s+at /.test(line)),
      result.stderr,
    ).toBe(true);
  });
});
