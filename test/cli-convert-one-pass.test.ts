/**
 * `convert` reads a binary IN once: its header up front, each chunk as the
 * writer takes it (as `run` replays it). A bad record in a later chunk still
 * fails with the located line a full check gives, exit 2, and no OUT (the
 * writer's temporary file is removed), whether OUT is binary or CSV.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCommand } from '../src/cli/convertCommand.js';
import { countDecodedEvents } from './helpers/decodeCounter.js';
import { runCli } from './helpers/runCli.js';
import { writeBadChunkMtr } from './helpers/badChunkMtr.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-convert-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let good = '';
let bad = '';
let fullCheckMessage = '';

beforeAll(async () => {
  ({ good, bad, fullCheckMessage } = await writeBadChunkMtr(dir));
});

describe('convert checks a binary IN as it writes it', () => {
  it('the full check finds the bad record in chunk 2 (the fixture is what it says)', () => {
    expect(fullCheckMessage.startsWith(`${bad}: chunk 2: `), fullCheckMessage).toBe(true);
  });

  it('decodes each of the 12 events once for a binary OUT', async () => {
    const counter = countDecodedEvents();
    try {
      await convertCommand(good, join(dir, 'once.mtr'), true);
    } finally {
      counter.restore();
    }
    expect(counter.events()).toBe(12);
  });

  it.each(['out.mtr', 'out.csv'])('a bad chunk: the full check line, exit 2, no OUT (%s)', (name) => {
    const result = runCli(['convert', bad, join(dir, name)]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(`mmubench: ${fullCheckMessage}`);
    expect(readdirSync(dir).filter((file) => file.startsWith('out.'))).toEqual([]);
  });
});
