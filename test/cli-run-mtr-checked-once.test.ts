/**
 * `run` reads a streamed `.mtr` once: the header is checked up front, every
 * chunk as the replay reads it (issue 14, "one pass over the file that checks
 * and replays"). A bad record in a later chunk still fails the run with the
 * same located line a full check gives (`FILE: chunk K: ...`), exit 2, and
 * no report folder, on the pool and inline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBadInput, runCli } from './helpers/runCli.js';
import { writeBadChunkMtr } from './helpers/badChunkMtr.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-mtr-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let bad = '';
let fullCheckMessage = '';

beforeAll(async () => {
  ({ bad, fullCheckMessage } = await writeBadChunkMtr(dir));
});

describe('run checks a streamed .mtr as it replays it', () => {
  it('the full check finds the bad record in chunk 2 (the fixture is what it says)', () => {
    expect(fullCheckMessage.startsWith(`${bad}: chunk 2: `), fullCheckMessage).toBe(true);
  });

  it.each([
    ['the pool', []],
    ['inline', ['--threads', '0']],
  ])('%s: the same one line, exit 2, no report folder', (_, threads) => {
    const out = join(dir, `out-${threads.length}`);
    expectBadInput(runCli(['run', bad, '--out', out, '-q', ...threads]), out, fullCheckMessage);
  });
});
