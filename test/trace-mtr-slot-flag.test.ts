/**
 * The `.mtr` header's flag bit 0 (offset 16) says the trace declares its own
 * memslots: replay then adds no default memslot (src/replay/openCell.ts). It
 * must agree with the events, as the CSV reader derives it from them (a
 * SLOT_ADD row), or a file and its CSV conversion would replay differently.
 * - SLOT_ADD without the flag: replay added the default slot 0 over the
 *   touched range and then stopped at that row with "memslot 1 overlaps
 *   memslot 0", which blames the row, not the header.
 * - The flag without a SLOT_ADD: no memslot at all, every access an MMIO
 *   exit, exit 0.
 * Both are refused by the reader, with the byte of the field to mend.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBinaryTrace } from '../src/trace/binary/binaryTraceReader.js';
import { writeBinaryTrace } from '../src/trace/binary/binaryTraceWriter.js';
import { FILE_HEADER_BYTES, FLAG_DECLARES_SLOTS } from '../src/trace/binary/mtrFormat.js';
import { Op } from '../src/trace/ops.js';
import { type EventRow, eventsFromRows } from './helpers/eventRows.js';
import { expectBadInput, runCli } from './helpers/runCli.js';
import { patchMtrHeader } from './helpers/mtrHeaderPatch.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-slot-flag-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A memslot of 2 MiB at 4 MiB (id 1), and a read inside it. */
const SLOT_AND_READ: EventRow[] = [
  [Op.SLOT_ADD, 0x40_0000, 0x20_0000, 1],
  [Op.R, 0x40_1000, 8, -1],
];
const READS: EventRow[] = [
  [Op.R, 0x1000, 8, -1],
  [Op.W, 0x2000, 8, -1],
];

/** An `.mtr` of `rows` whose header sets flag bit 0 when `declaresSlots` (patched in: the writer refuses a flag that disagrees); one chunk. */
async function mtr(rows: EventRow[], declaresSlots: boolean): Promise<string> {
  const events = eventsFromRows(rows);
  const path = join(dir, `t${files++}.mtr`);
  const hasSlotAdd = rows.some(([op]) => op === Op.SLOT_ADD);
  await writeBinaryTrace({ path, name: 't', events, vcpuCount: 1, touchedEndGpa: 0x40_2000, declaresSlots: hasSlotAdd }, path, { source: 't' });
  patchMtrHeader(path, 'flags', declaresSlots ? FLAG_DECLARES_SLOTS : 0);
  return path;
}

/** The chunk's offset: the 64-byte header and the source "t" padded to 8 bytes. */
const CHUNK_0 = FILE_HEADER_BYTES + 8;

describe('.mtr memslot flag', () => {
  it('reads a flag that agrees with the events, either way', async () => {
    expect(readBinaryTrace(await mtr(SLOT_AND_READ, true)).declaresSlots).toBe(true);
    expect(readBinaryTrace(await mtr(READS, false)).declaresSlots).toBe(false);
  });

  it('refuses a SLOT_ADD in a trace without the flag, naming the event and the flag', async () => {
    const path = await mtr(SLOT_AND_READ, false);
    expect(() => readBinaryTrace(path)).toThrow(
      `${path}: chunk 0: event 0: column op: SLOT_ADD in a trace whose header does not declare memslots (flag bit 0, header byte 16) (byte ${CHUNK_0})`,
    );
  });

  it('refuses the flag in a trace with no SLOT_ADD, once every chunk is read', async () => {
    const path = await mtr(READS, true);
    expect(() => readBinaryTrace(path)).toThrow(`${path}: header: flag bit 0 says the trace declares its own memslots, but no event is a SLOT_ADD (byte 16)`);
  });

  it('run: SLOT_ADD without the flag is one line, exit 2, no report folder', async () => {
    const path = await mtr(SLOT_AND_READ, false);
    const out = join(dir, 'out');
    expectBadInput(
      runCli(['run', path, '--out', out, '-q']),
      out,
      `${path}: chunk 0: event 0: column op: SLOT_ADD in a trace whose header does not declare memslots (flag bit 0, header byte 16) (byte ${CHUNK_0})`,
    );
  });
});
