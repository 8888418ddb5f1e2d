/**
 * src/atomicFolder.ts: which temporary entries a writer removes (only dead
 * writers' of this host and PID namespace), and how a name is claimed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { writeFolderAtomically } from '../src/atomicFolder.js';
import { OWNER_TAG, removeStaleTemps, tempSibling } from '../src/tempNames.js';
import { IoError } from '../src/errors.js';

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmubench-atomic-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The pid of a process that has exited (and been reaped) by the time this returns. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('removeStaleTemps', () => {
  it("removes a dead writer's temporary folder and file; keeps a live one, its own, another owner's, old-style names and other entries", async () => {
    const dir = folder();
    const dead = deadPid();
    const other = OWNER_TAG === 'deadbeef' ? 'cafef00d' : 'deadbeef';
    const entries = {
      deadFolder: `.2026-12-01T00-00-00Z.tmp-${dead}-${OWNER_TAG}`,
      deadFile: `.compare.md.tmp-${dead}-${OWNER_TAG}`,
      own: `.mine.tmp-${process.pid}-${OWNER_TAG}`,
      // The test runner's parent process: alive while this test runs.
      live: `.live.tmp-${process.ppid}-${OWNER_TAG}`,
      otherOwner: `.shared.tmp-${dead}-${other}`,
      oldStyle: `.old.tmp-${dead}`,
      report: '2026-12-01T00-00-00Z',
    };
    mkdirSync(join(dir, entries.deadFolder, 'charts'), { recursive: true });
    writeFileSync(join(dir, entries.deadFolder, 'results.csv'), 'half\n');
    writeFileSync(join(dir, entries.deadFile), 'half');
    for (const name of [entries.own, entries.live, entries.otherOwner, entries.oldStyle, entries.report]) mkdirSync(join(dir, name));
    expect((await removeStaleTemps(dir)).sort()).toEqual([entries.deadFile, entries.deadFolder].sort());
    expect(readdirSync(dir).sort()).toEqual([entries.own, entries.live, entries.otherOwner, entries.oldStyle, entries.report].sort());
  });

  it('names a temporary sibling with this pid and owner', () => {
    expect(tempSibling('/r/2026-12-01T00-00-00Z')).toBe(`/r/.2026-12-01T00-00-00Z.tmp-${process.pid}-${OWNER_TAG}`);
  });
});

describe('writeFolderAtomically: claiming the name', () => {
  const fill = (text: string) => async (write: { file: (path: string, data: string) => Promise<void> }) => write.file('a.txt', text);

  it('next-free: a taken name (a folder with content) gives -2, then -3; the taken one is untouched', async () => {
    const dir = folder();
    const target = join(dir, 'stamp');
    expect(await writeFolderAtomically(target, { name: 'next-free' }, fill('one'))).toBe(target);
    expect(await writeFolderAtomically(target, { name: 'next-free' }, fill('two'))).toBe(`${target}-2`);
    expect(await writeFolderAtomically(target, { name: 'next-free' }, fill('three'))).toBe(`${target}-3`);
    expect(['stamp', 'stamp-2', 'stamp-3'].map((name) => readFileSync(join(dir, name, 'a.txt'), 'utf8'))).toEqual(['one', 'two', 'three']);
    expect(readdirSync(dir).sort()).toEqual(['stamp', 'stamp-2', 'stamp-3']);
  });

  it('exact: a folder that appeared meanwhile is an IoError, left untouched, and nothing temporary stays', async () => {
    const dir = folder();
    const target = join(dir, 'out');
    const error = await writeFolderAtomically(target, { name: 'exact' }, async (write) => {
      await write.file('a.txt', 'mine');
      // Another run publishes the same folder while this one is writing.
      mkdirSync(target);
      writeFileSync(join(target, 'theirs.txt'), 'theirs');
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IoError);
    expect((error as Error).message).toBe(
      `${target}: appeared while this run was writing it (another run?); nothing written (choose a new folder, or --force)`,
    );
    expect(readdirSync(dir)).toEqual(['out']);
    expect(readdirSync(target)).toEqual(['theirs.txt']);
  });
});
