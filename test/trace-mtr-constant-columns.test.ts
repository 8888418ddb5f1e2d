/**
 * A chunk whose op and slot columns each hold one value (stored as
 * arithmetic sequences of step 0) has the op-slot rule checked on its first
 * event only, and its raw gpa column checked event by event; one whose slot
 * column alone is constant -1 has each op checked to name no memslot. Shown
 * on files of 8 events in chunks of 4: reads with a non-integer gpa at
 * event 6 (chunk 1, event 2); SLOT_DEL of slot 0 whose second chunk's slot
 * column is patched to -1 (an op that names a memslot without one); reads
 * and writes in turn (a raw op column) with event 5 patched to SLOT_DEL.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBinaryTrace } from '../src/trace/binary/binaryTraceWriter.js';
import { MtrChunkReader } from '../src/trace/binary/mtrChunkReader.js';
import { CHUNK_HEADER_BYTES, CHUNK_OFFSET, COLUMNS, FILE_HEADER_BYTES } from '../src/trace/binary/mtrFormat.js';
import { allocateTraceEvents } from '../src/trace/traceEvents.js';
import { Op } from '../src/trace/ops.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-mtr-constant-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 8 events of `op` (or R and W in turn) on `slot`, gpa ((3 i) mod 8) * 0x1000 (raw: not linear), written in chunks of 4; returns the file's bytes. */
async function write(path: string, op: Op | 'R/W', slot: number): Promise<Uint8Array> {
  const events = allocateTraceEvents(8);
  for (let i = 0; i < 8; i++) {
    events.gpa[i] = ((i * 3) % 8) * 0x1000;
    events.op[i] = op === 'R/W' ? (i % 2 === 0 ? Op.R : Op.W) : op;
    events.sizeBytes[i] = op === Op.SLOT_DEL ? 0 : 8;
    events.slot[i] = slot;
    events.line[i] = i + 2;
  }
  await writeBinaryTrace({ path, name: 't', events, vcpuCount: 1, touchedEndGpa: 0x8000, declaresSlots: false }, path, { chunkRecords: 4, source: 't' });
  return new Uint8Array(readFileSync(path));
}

/** Offset of chunk 1 (source "t" pads the file header to 72 bytes; a chunk is its header plus 4 raw gpas). */
const SECOND_CHUNK = FILE_HEADER_BYTES + 8 + CHUNK_HEADER_BYTES + 32;

function readAll(path: string): void {
  const reader = MtrChunkReader.openFile(path);
  try {
    while (reader.next() !== undefined);
  } finally {
    reader.close();
  }
}

describe('.mtr chunks with constant op and slot columns', () => {
  it('checks every gpa: a fraction at chunk 1, event 2 is refused there', async () => {
    const path = join(dir, 'reads.mtr');
    const image = await write(path, Op.R, -1);
    new DataView(image.buffer).setFloat64(SECOND_CHUNK + CHUNK_HEADER_BYTES + 2 * 8, 0x1000 + 0.5, true);
    writeFileSync(path, image);
    expect(() => readAll(path)).toThrow(`${path}: chunk 1: event 2: column gpa:`);
  });

  it('checks the op-slot rule once: SLOT_DEL with slot -1 is refused at event 0', async () => {
    const path = join(dir, 'deletes.mtr');
    const image = await write(path, Op.SLOT_DEL, 0);
    expect(() => readAll(path)).not.toThrow();
    const slotIndex = COLUMNS.findIndex((column) => column.key === 'slot');
    new DataView(image.buffer).setFloat64(SECOND_CHUNK + CHUNK_OFFSET.arithmetic + slotIndex * 16, -1, true);
    writeFileSync(path, image);
    expect(() => readAll(path)).toThrow(`${path}: chunk 1: event 0: column slot:`);
  });

  it('checks each op when only slot is constant -1: SLOT_DEL at chunk 1, event 1 is refused there', async () => {
    const path = join(dir, 'mixed.mtr');
    const image = await write(path, 'R/W', -1);
    expect(() => readAll(path)).not.toThrow();
    // Chunk 0 holds 4 raw gpas (32 bytes) and 4 raw ops (padded to 8); in chunk 1 the ops follow its gpas.
    const secondChunk = FILE_HEADER_BYTES + 8 + CHUNK_HEADER_BYTES + 40;
    image[secondChunk + CHUNK_HEADER_BYTES + 32 + 1] = Op.SLOT_DEL;
    writeFileSync(path, image);
    expect(() => readAll(path)).toThrow(`${path}: chunk 1: event 1: column slot:`);
  });
});
