/**
 * A full disk and a read-only file system, for real: two small tmpfs
 * mounts (needs root; skipped with a message when mounting fails).
 *
 * - 64 KiB, empty: a report of tiny-valid.csv is about 700 KB (each chart
 *   PNG 50-70 KB; results.csv, run.json and summary.md about 11 KB first), so
 *   the first chart cannot be written: ENOSPC while working, exit 1, one
 *   line naming the file, nothing left behind.
 * - read-only: the output cannot be created at all, found before any
 *   replay: exit 2, one line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, fixture, runCli, type CliResult } from './helpers/runCli.js';
import { tinyNightlyArgs } from './helpers/nightlyArgs.js';

const mounts: string[] = [];
let full = '';
let readOnly = '';
let skipReason: string | undefined;

/** Mount a tmpfs with `options` on a fresh folder; returns the folder. */
function mountTmpfs(options: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmubench-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmdirSync(dir);
    throw error;
  }
  mounts.push(dir);
  return dir;
}

beforeAll(() => {
  try {
    full = mountTmpfs('size=64k');
    readOnly = mountTmpfs('ro,size=16k');
  } catch (error) {
    skipReason = `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`;
    console.warn(`test/cli-full-disk.test.ts: skipping the full-disk and read-only tests: ${skipReason}`);
  }
});

afterAll(() => {
  for (const dir of mounts.reverse()) {
    execFileSync('umount', [dir]);
    rmdirSync(dir);
  }
});

/** Exit 1 and exactly one stderr line matching `pattern`, no stack. */
function expectFailedRun(result: CliResult, pattern: RegExp): void {
  expect(result.status, result.stderr).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a full disk (64 KiB tmpfs)', () => {
  it('run: ENOSPC on a chart is one line naming it, exit 1, nothing left on the disk', (context) => {
    if (skipReason !== undefined) return context.skip();
    const out = join(full, 'out');
    const result = runCli(['run', fixture('tiny-valid.csv'), '--out', out, '-q', '--threads', '0']);
    expectFailedRun(result, new RegExp(`^mmubench: ${escapeRegExp(out)}/charts/[a-z0-9-]+\\.png: no space left on device \\(ENOSPC\\); nothing written$`));
    expect(readdirSync(full)).toEqual([]);
  });

  it('nightly: exit 1, no report folder, no history line, no temporary folder', (context) => {
    if (skipReason !== undefined) return context.skip();
    const reports = join(full, 'reports');
    const result = runCli(tinyNightlyArgs(reports, 0, ['-q']));
    expectFailedRun(
      result,
      new RegExp(`^mmubench: ${escapeRegExp(reports)}/\\d{4}-[0-9T-]+Z/charts/[a-z0-9-]+\\.png: no space left on device \\(ENOSPC\\); nothing written$`),
    );
    // The reports folder itself was created (it may hold reports later); it holds nothing.
    expect(readdirSync(reports)).toEqual([]);
    expect(existsSync(join(reports, 'history.jsonl'))).toBe(false);
  });

  it('gen: ENOSPC is one line naming the trace, exit 1, no file and no temporary file', (context) => {
    if (skipReason !== undefined) return context.skip();
    // 20000 rows of about 20 bytes: 400 KB, more than the 64 KiB disk.
    const out = join(full, 'trace.csv');
    const result = runCli(['gen', '--kind', 'random', '--out', out]);
    expectFailedRun(result, new RegExp(`^mmubench: ${escapeRegExp(out)}: no space left on device \\(ENOSPC\\)$`));
    // (The nightly test's empty reports folder may be there.)
    expect(readdirSync(full).filter((name) => name !== 'reports')).toEqual([]);
  });
});

describe('a full disk, written in chunks (64 KiB tmpfs)', () => {
  it('convert: ENOSPC on a chunk of the .mtr (found at a later chunk or the end) is one line naming it, no file left', (context) => {
    if (skipReason !== undefined) return context.skip();
    // 20000 random reads: about 160 KB of raw gpas in the .mtr, in chunks of 65536 events at most.
    const work = mkdtempSync(join(tmpdir(), 'mmubench-full-convert-'));
    const csv = join(work, 'trace.csv');
    expect(runCli(['gen', '--kind', 'random', '--out', csv]).status).toBe(0);
    const out = join(full, 'trace.mtr');
    const result = runCli(['convert', csv, out]);
    rmSync(work, { recursive: true, force: true });
    expect(result.status, result.stderr).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^mmubench: ${escapeRegExp(out)}: cannot write: .*ENOSPC`));
    expect(readdirSync(full).filter((name) => name !== 'reports')).toEqual([]);
  });
});

describe('a read-only file system', () => {
  it('run --out on it: exit 2 before any replay, one line with EROFS', (context) => {
    if (skipReason !== undefined) return context.skip();
    const out = join(readOnly, 'out');
    expectOneLineError(
      runCli(['run', fixture('tiny-valid.csv'), '--out', out, '-q']),
      `--out: ${out}: cannot create it in ${readOnly}: read-only file system (EROFS)`,
    );
  });
});
