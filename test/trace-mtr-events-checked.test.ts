/**
 * An `.mtr` stream whose events were checked as this run wrote it (a CSV
 * trace's decoded copy: `TraceStream.checked`) is read without checking its
 * chunks' events again; any other `.mtr` is checked chunk by chunk. Shown on
 * one file whose second chunk holds a gpa of 2^53 (not a GPA): the checked
 * reader returns it, the plain reader refuses it with its located line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBinaryTrace } from '../src/trace/binary/binaryTraceWriter.js';
import { MtrChunkReader } from '../src/trace/binary/mtrChunkReader.js';
import { CHUNK_HEADER_BYTES, FILE_HEADER_BYTES } from '../src/trace/binary/mtrFormat.js';
import { openEventChunks } from '../src/trace/eventChunks.js';
import { allocateTraceEvents, type Trace } from '../src/trace/traceEvents.js';
import { Op } from '../src/trace/ops.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-mtr-checked-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, 'copy.mtr');

/** 8 reads in chunks of 4, gpa ((3 i) mod 8) * 0x1000 (raw: not linear); the second chunk's first gpa is then set to 2^53. */
beforeAll(async () => {
  const events = allocateTraceEvents(8);
  for (let i = 0; i < 8; i++) {
    events.gpa[i] = ((i * 3) % 8) * 0x1000;
    events.op[i] = Op.R;
    events.sizeBytes[i] = 8;
    events.slot[i] = -1;
    events.line[i] = i + 2;
  }
  await writeBinaryTrace({ path, name: 'copy', events, vcpuCount: 1, touchedEndGpa: 0x8000, declaresSlots: false }, path, { chunkRecords: 4, source: 't' });
  const image = new Uint8Array(readFileSync(path));
  // Source "t" pads the header to 72 bytes; a chunk is its header plus 4 raw gpas (32 bytes).
  new DataView(image.buffer).setFloat64(FILE_HEADER_BYTES + 8 + (CHUNK_HEADER_BYTES + 32) + CHUNK_HEADER_BYTES, 2 ** 53, true);
  writeFileSync(path, image);
});

function trace(checked: boolean): Trace {
  const events = allocateTraceEvents(0);
  events.count = 8;
  return { path, name: 'copy', events, vcpuCount: 1, touchedEndGpa: 0x8000, declaresSlots: false, stream: { format: 'mtr', path, checked } };
}

describe('.mtr streams checked when written', () => {
  it('returns the second chunk as written when its events were checked (gpa 2^53 passes)', () => {
    const chunks = openEventChunks(trace(true));
    expect(chunks.next()?.count).toBe(4);
    expect(Array.from(chunks.next()!.gpa)).toEqual([2 ** 53, 0x7000, 0x2000, 0x5000]);
    expect(chunks.next()).toBeUndefined();
    chunks.close();
  });

  it('refuses the same chunk, located, when they were not', () => {
    const chunks = openEventChunks(trace(false));
    expect(chunks.next()?.count).toBe(4);
    expect(() => chunks.next()).toThrow(`${path}: chunk 1: event 0: column gpa:`);
    chunks.close();
  });

  it('checks by default (openFile without the flag)', () => {
    const reader = MtrChunkReader.openFile(path);
    reader.next();
    expect(() => reader.next()).toThrow(/chunk 1: event 0: column gpa/);
    reader.close();
  });
});
