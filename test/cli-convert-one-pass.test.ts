/**
 * `convert` reads a binary IN once: its header up front, each chunk as the
 * writer takes it (as `run` replays it). A bad record in a later chunk still
 * fails with the located line a full check gives, exit 2, and no OUT (the
 * writer's temporary file is removed), whether OUT is binary or CSV.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCommand } from '../src/cli/convertCommand.js';
import { InputError } from '../src/errors.js';
import { openBinaryTrace } from '../src/trace/binary/binaryTraceReader.js';
import { writeBinaryTrace } from '../src/trace/binary/binaryTraceWriter.js';
import { CHUNK_HEADER_BYTES, FILE_HEADER_BYTES } from '../src/trace/binary/mtrFormat.js';
import { Op } from '../src/trace/ops.js';
import { countDecodedEvents } from './helpers/decodeCounter.js';
import { type EventRow, eventsFromRows } from './helpers/eventRows.js';
import { runCli } from './helpers/runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-convert-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const good = join(dir, 'good.mtr');
const bad = join(dir, 'bad.mtr');
let fullCheckMessage = '';

/**
 * 12 reads in chunks of 4, gpa ((7 i) mod 12) * 0x1000 + 0x40 (raw: not
 * linear). Source "t" pads the header to 72 bytes; each chunk is its header
 * plus 4 raw gpas (32 bytes). In `bad.mtr` the third chunk's first gpa is 2^53.
 */
beforeAll(async () => {
  const rows = Array.from({ length: 12 }, (_, i): EventRow => [Op.R, ((i * 7) % 12) * 0x1000 + 0x40, 8, -1]);
  const events = eventsFromRows(rows);
  await writeBinaryTrace({ path: good, name: 'good', events, vcpuCount: 1, touchedEndGpa: 0xb048, declaresSlots: false }, good, {
    chunkRecords: 4,
    source: 't',
  });
  const image = new Uint8Array(readFileSync(good));
  const chunk2Payload = FILE_HEADER_BYTES + 8 + 2 * (CHUNK_HEADER_BYTES + 32) + CHUNK_HEADER_BYTES;
  new DataView(image.buffer).setFloat64(chunk2Payload, 2 ** 53, true);
  writeFileSync(bad, image);
  try {
    openBinaryTrace(bad); // the full check
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    fullCheckMessage = error.message;
  }
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
