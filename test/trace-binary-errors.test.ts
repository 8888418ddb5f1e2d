/**
 * Corrupted and truncated binary traces fail with an `InputError` that names
 * the file and the part: `FILE: header: ...`, `FILE: chunk K: ...` or
 * `FILE: end marker: ...`, ending with the byte offset.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { decodeBinaryTrace, openBinaryTrace } from '../src/trace/binary/binaryTraceReader.js';
import { writeBinaryTrace } from '../src/trace/binary/binaryTraceWriter.js';
import { CHUNK_HEADER_BYTES, CHUNK_OFFSET, FILE_HEADER_BYTES, HEADER_OFFSET } from '../src/trace/binary/mtrFormat.js';
import { allocateTraceEvents, type Trace } from '../src/trace/traceEvents.js';
import { Op } from '../src/trace/ops.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-mtr-err-'));
/** Source text "t" pads the header to 72 bytes. */
const HEADER_BYTES = FILE_HEADER_BYTES + 8;
let image: Uint8Array;

/**
 * 6 accesses in chunks of 4 + 2: chunk 0 stores gpa, vcpu and op raw (size,
 * slot and line are arithmetic); chunk 1's two events are arithmetic in every
 * column (two values always are), so it has no payload.
 */
beforeAll(async () => {
  const events = allocateTraceEvents(6);
  [0x1000, 0x5000, 0x2000, 0x9000, 0x3000, 0x7000].forEach((gpa, i) => {
    events.gpa[i] = gpa;
    events.op[i] = i % 2 === 0 ? Op.R : Op.W;
    events.vcpu[i] = i % 2;
    events.sizeBytes[i] = 8;
    events.slot[i] = -1;
    events.line[i] = i + 2;
  });
  const trace: Trace = { path: 'x', name: 'x', events, vcpuCount: 2, touchedEndGpa: 0x9008, declaresSlots: false };
  const path = join(dir, 'good.mtr');
  await writeBinaryTrace(trace, path, { chunkRecords: 4, source: 't' });
  image = new Uint8Array(readFileSync(path));
});

/** Chunk 0 payload: gpa (4 × 8 bytes), vcpu (4 × 2, padded to 8), op (4 × 1, padded to 8). */
const CHUNK0 = HEADER_BYTES;
const CHUNK1 = CHUNK0 + CHUNK_HEADER_BYTES + 32 + 8 + 8;

/** The error message of decoding `bytes` (also through a file and `openBinaryTrace`, which must agree). */
function errorOf(bytes: Uint8Array): string {
  const path = join(dir, 'bad.mtr');
  writeFileSync(path, bytes);
  let fromMemory = 'ok';
  try {
    decodeBinaryTrace(bytes, path);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    fromMemory = error.message;
  }
  let fromFile = 'ok';
  try {
    openBinaryTrace(path);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    fromFile = error.message;
  }
  expect(fromFile).toBe(fromMemory);
  return fromMemory.replace(path, 'FILE');
}

function patched(at: number, bytes: number[]): Uint8Array {
  const copy = image.slice();
  copy.set(bytes, at);
  return copy;
}

describe('binary traces: located errors', () => {
  it('decodes the intact file (the fixture is sound)', () => {
    expect(errorOf(image)).toBe('ok');
    expect(image.length).toBe(CHUNK1 + CHUNK_HEADER_BYTES + 16);
  });

  it('names the magic when the file is not a binary trace', () => {
    expect(errorOf(new TextEncoder().encode('vcpu,op,gpa\n0,R,0x1000\n'))).toBe(
      'FILE: header: not a binary trace: the file does not start with the .mtr magic bytes 89 4d 54 52 0d 0a 1a 0a (byte 0)',
    );
  });

  it('refuses another version', () => {
    expect(errorOf(patched(HEADER_OFFSET.version, [2]))).toBe('FILE: header: unsupported .mtr version 2 (this mmubench reads version 1) (byte 8)');
  });

  it('locates a truncation inside chunk 0 when the header does not give the event count', () => {
    // An event count of all ones means "unknown": the file is then read until it ends.
    const unknownCount = patched(HEADER_OFFSET.eventCount, [255, 255, 255, 255, 255, 255, 255, 255]);
    expect(errorOf(unknownCount)).toBe('ok');
    expect(errorOf(unknownCount.subarray(0, CHUNK0 + CHUNK_HEADER_BYTES + 4))).toBe(
      `FILE: chunk 0: truncated: needs 48 bytes of data, the file ends after 4 (byte ${CHUNK0})`,
    );
    expect(errorOf(unknownCount.subarray(0, CHUNK1 + CHUNK_HEADER_BYTES))).toBe(
      `FILE: chunk 2: truncated: expected this chunk or the end marker, the file ends after ${CHUNK1 + CHUNK_HEADER_BYTES} bytes (byte ${CHUNK1 + CHUNK_HEADER_BYTES})`,
    );
  });

  it('refuses a file too short for the event count its header announces', () => {
    expect(errorOf(image.subarray(0, CHUNK1 + 20))).toBe(`FILE: header: truncated: 6 events need at least 328 bytes, the file has ${CHUNK1 + 20} (byte 24)`);
  });

  it('locates a bad op code to its chunk and event', () => {
    // Chunk 0's op column starts after gpa (32 bytes) and vcpu (8 bytes); event 2 gets op 99.
    expect(errorOf(patched(CHUNK0 + CHUNK_HEADER_BYTES + 40 + 2, [99]))).toBe(
      `FILE: chunk 0: event 2: column op: 99 is not an op code (1 to 17, 20) (byte ${CHUNK0})`,
    );
  });

  it('locates a vCPU id beyond the header vCPU count', () => {
    expect(errorOf(patched(CHUNK0 + CHUNK_HEADER_BYTES + 32 + 2 * 3, [7, 0]))).toBe(
      `FILE: chunk 0: event 3: column vcpu: 7 is not a vCPU id below the vCPU count 2 (byte ${CHUNK0})`,
    );
  });

  it('locates a chunk header with a bad count', () => {
    expect(errorOf(patched(CHUNK1 + CHUNK_OFFSET.count, [9, 0, 0, 0]))).toBe(`FILE: chunk 1: chunk of 9 events (the header allows 1 to 4) (byte ${CHUNK1})`);
  });

  it('locates a damaged chunk tag', () => {
    expect(errorOf(patched(CHUNK1, [0x58]))).toBe(`FILE: chunk 1: expected "CHNK" (or the end marker "TEND"), found 0x4b4e4858 (byte ${CHUNK1})`);
  });

  it('reports bytes after the end marker', () => {
    const longer = new Uint8Array(image.length + 3);
    longer.set(image);
    expect(errorOf(longer)).toBe(`FILE: end marker: 3 unexpected bytes after it (byte ${image.length})`);
  });
});
