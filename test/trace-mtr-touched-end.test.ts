/**
 * The `.mtr` header's touched end sizes the default memslot (docs/trace-format.md,
 * offset 32), so the reader refuses a file with an event ending beyond it:
 * that event would replay outside every memslot (an MMIO exit) instead of
 * failing. An event's range is [gpa, gpa + max(1, size)); memslot ops and the
 * dirty-logging switches do not count (src/trace/touchedEnd.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBinaryTrace } from '../src/trace/binary/binaryTraceReader.js';
import { writeBinaryTrace } from '../src/trace/binary/binaryTraceWriter.js';
import { FILE_HEADER_BYTES } from '../src/trace/binary/mtrFormat.js';
import { Op } from '../src/trace/ops.js';
import { type EventRow, eventsFromRows } from './helpers/eventRows.js';
import { expectBadInput, runCli } from './helpers/runCli.js';
import { patchMtrHeader } from './helpers/mtrHeaderPatch.js';
import { touchedEndOf } from '../src/trace/touchedEnd.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-touched-end-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** An `.mtr` of `rows` whose header says `touchedEndGpa` (patched in: the writer refuses a short one); one chunk. */
async function mtr(rows: EventRow[], touchedEndGpa: number): Promise<string> {
  const events = eventsFromRows(rows);
  const path = join(dir, `t${files++}.mtr`);
  const declaresSlots = rows.some(([op]) => op === Op.SLOT_ADD);
  const eventsEndGpa = touchedEndOf(events, 0, rows.length);
  await writeBinaryTrace({ path, name: 't', events, vcpuCount: 1, touchedEndGpa: Math.max(touchedEndGpa, eventsEndGpa), declaresSlots }, path, {
    source: 't',
  });
  patchMtrHeader(path, 'touchedEndGpa', touchedEndGpa);
  return path;
}

/** The chunk's offset: the 64-byte header and the source "t" padded to 8 bytes. */
const CHUNK_0 = FILE_HEADER_BYTES + 8;

describe('.mtr touched end', () => {
  // The check rides on the gpa pass (one size), on the size pass (sizes 4, 1, 8: not arithmetic, stored raw),
  // takes the two ends of a linear gpa column (0x1000, 0x1800, 0x2000, stored as first and step), or has a pass
  // of its own (a memslot op).
  it.each([
    ['one size', [Op.R, 0x1000, 8, -1], [Op.R, 0x1100, 8, -1]],
    ['sizes that vary', [Op.R, 0x1000, 4, -1], [Op.R, 0x1100, 1, -1]],
    ['a linear gpa column', [Op.R, 0x1000, 8, -1], [Op.R, 0x1800, 8, -1]],
    ['a memslot op', [Op.SLOT_ADD, 0x40_0000, 0x20_0000, 1], [Op.R, 0x1100, 8, -1]],
  ] as [string, EventRow, EventRow][])('refuses an access ending beyond it, naming the event and both ends (%s)', async (_, first, second) => {
    const path = await mtr([first, second, [Op.W, 0x2000, 8, -1]], 0x2004); // the third ends at 0x2008
    expect(() => readBinaryTrace(path)).toThrow(
      `${path}: chunk 0: event 2: column gpa: [0x2000, 0x2008) ends beyond the header's touched end 0x2004 (header byte 32), which sizes the default memslot (byte ${CHUNK_0})`,
    );
  });

  it('takes a touched end equal to the last byte of the highest access plus one', async () => {
    const path = await mtr(
      [
        [Op.R, 0x1000, 8, -1],
        [Op.W, 0x2000, 8, -1],
      ],
      0x2008,
    );
    expect(readBinaryTrace(path).events.count).toBe(2);
  });

  it('counts a range of size 0 as one byte', async () => {
    const at = await mtr([[Op.UNMAP, 0x3000, 0, -1]], 0x3000);
    expect(() => readBinaryTrace(at)).toThrow(`event 0: column gpa: [0x3000, 0x3001) ends beyond the header's touched end 0x3000 `);
    const after = await mtr([[Op.UNMAP, 0x3000, 0, -1]], 0x3001);
    expect(readBinaryTrace(after).events.count).toBe(1);
  });

  it('leaves memslot ops out: a SLOT_ADD may lie beyond it', async () => {
    const path = await mtr(
      [
        [Op.SLOT_ADD, 0x40_0000, 0x20_0000, 1],
        [Op.R, 0x1000, 8, -1],
      ],
      0x1008,
    );
    expect(readBinaryTrace(path).events.count).toBe(2);
  });

  it('run: the same one line, exit 2, no report folder', async () => {
    const path = await mtr([[Op.R, 0x5000, 8, -1]], 0x1000);
    const out = join(dir, 'out');
    expectBadInput(
      runCli(['run', path, '--out', out, '-q']),
      out,
      `${path}: chunk 0: event 0: column gpa: [0x5000, 0x5008) ends beyond the header's touched end 0x1000 (header byte 32), which sizes the default memslot (byte ${CHUNK_0})`,
    );
  });
});
