/**
 * The fixture of the one-pass tests (`run` and `convert` check an `.mtr`
 * chunk by chunk as they read it): 12 reads in chunks of 4, gpa
 * ((7 i) mod 12) * 0x1000 + 0x40 (not linear: raw gpa; vcpu, op, size, slot,
 * line arithmetic). Source "t" pads the header to 72 bytes; each chunk is
 * its header plus 4 raw gpas (32 bytes). In the bad copy the third chunk's
 * first gpa is 2^53: not a GPA.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { openBinaryTrace } from '../../src/trace/binary/binaryTraceReader.js';
import { writeBinaryTrace } from '../../src/trace/binary/binaryTraceWriter.js';
import { CHUNK_HEADER_BYTES, FILE_HEADER_BYTES } from '../../src/trace/binary/mtrFormat.js';
import { Op } from '../../src/trace/ops.js';
import { type EventRow, eventsFromRows } from './eventRows.js';

export interface BadChunkMtr {
  good: string;
  bad: string;
  /** The InputError message the full check (`openBinaryTrace`) gives for `bad`. */
  fullCheckMessage: string;
}

/** Write `good.mtr` and `bad.mtr` into `dir`. */
export async function writeBadChunkMtr(dir: string): Promise<BadChunkMtr> {
  const good = join(dir, 'good.mtr');
  const bad = join(dir, 'bad.mtr');
  const rows = Array.from({ length: 12 }, (_, i): EventRow => [Op.R, ((i * 7) % 12) * 0x1000 + 0x40, 8, -1]);
  await writeBinaryTrace({ path: good, name: 'good', events: eventsFromRows(rows), vcpuCount: 1, touchedEndGpa: 0xc000, declaresSlots: false }, good, {
    chunkRecords: 4,
    source: 't',
  });
  const image = new Uint8Array(readFileSync(good));
  const chunk2Payload = FILE_HEADER_BYTES + 8 + 2 * (CHUNK_HEADER_BYTES + 32) + CHUNK_HEADER_BYTES;
  new DataView(image.buffer).setFloat64(chunk2Payload, 2 ** 53, true);
  writeFileSync(bad, image);
  try {
    openBinaryTrace(bad);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { good, bad, fullCheckMessage: error.message };
  }
  throw new Error('badChunkMtr: the full check accepted the bad copy');
}
