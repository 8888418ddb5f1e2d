/**
 * The `.mtr` writer refuses header metadata its reader would refuse
 * (mtrChunkReader.ts): a touched end below the events' own (the first byte
 * beyond every range they name, memslot ops aside: src/trace/touchedEnd.ts),
 * or a memslot flag that disagrees with the events (set exactly when one is
 * a SLOT_ADD). It throws an `InputError` naming the file and leaves no file.
 * A larger touched end is written as given, as the reader takes it.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { readBinaryTrace } from '../src/trace/binary/binaryTraceReader.js';
import { BinaryTraceWriter } from '../src/trace/binary/binaryTraceWriter.js';
import { Op } from '../src/trace/ops.js';
import { type EventRow, eventsFromRows } from './helpers/eventRows.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-writer-meta-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A write of 8 bytes at 0x2ff8 (ends at 0x3000) and a SLOT_ADD of 2 MiB at 4 MiB, which does not count. */
const WITH_SLOT: EventRow[] = [
  [Op.SLOT_ADD, 0x40_0000, 0x20_0000, 1],
  [Op.W, 0x2ff8, 8, -1],
];

/** Append `rows`, then finish with `touchedEndGpa` and `declaresSlots` (what the events say when undefined); the file's path. */
async function write(rows: EventRow[], touchedEndGpa?: number, declaresSlots?: boolean): Promise<string> {
  const events = eventsFromRows(rows);
  const path = join(dir, `t${files++}.mtr`);
  const writer = await BinaryTraceWriter.create(path);
  await writer.append(events);
  await writer.finish({ vcpuCount: 1, touchedEndGpa, declaresSlots });
  return path;
}

/** The InputError `write` throws, and that it left nothing in the folder but files of earlier cases. */
async function refusal(rows: EventRow[], touchedEndGpa: number, declaresSlots: boolean): Promise<string> {
  const before = readdirSync(dir).length;
  const error = await write(rows, touchedEndGpa, declaresSlots).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  expect(readdirSync(dir)).toHaveLength(before);
  return (error as InputError).message;
}

describe('.mtr writer metadata', () => {
  it('writes what the events say when told nothing: vCPU count 1, touched end 0x3000, memslots declared', async () => {
    const trace = readBinaryTrace(await write(WITH_SLOT));
    expect([trace.vcpuCount, trace.touchedEndGpa, trace.declaresSlots]).toEqual([1, 0x3000, true]);
  });

  it('writes a touched end equal to the events', async () => {
    const path = await write(WITH_SLOT, 0x3000, true);
    expect(readBinaryTrace(path).touchedEndGpa).toBe(0x3000);
  });

  it('writes a larger touched end as given', async () => {
    const path = await write(WITH_SLOT, 0x10_0000, true);
    expect(readBinaryTrace(path).touchedEndGpa).toBe(0x10_0000);
  });

  it('refuses a touched end one byte short of the write at 0x2ff8', async () => {
    const message = await refusal(WITH_SLOT, 0x2fff, true);
    expect(message).toBe(
      `${join(dir, `t${files - 1}.mtr`)}: touched end 12287 is below the events' 12288 (the first byte beyond every range they name: src/trace/touchedEnd.ts)`,
    );
  });

  it('refuses a memslot flag that disagrees with the events, either way', async () => {
    expect(await refusal(WITH_SLOT, 0x3000, false)).toContain(': the events hold a SLOT_ADD but the trace does not declare memslots');
    expect(await refusal([[Op.R, 0x1000, 8, -1]], 0x1008, true)).toContain(': the trace declares memslots but no event is a SLOT_ADD');
    expect(existsSync(join(dir, `t${files - 1}.mtr`))).toBe(false);
  });
});
