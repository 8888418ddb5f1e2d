/**
 * Binary traces (.mtr) round trip: CSV → mtr → CSV gives the same events in
 * the same replay order, over hand-made traces and random event columns.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../src/trace/csvTraceReader.js';
import { openBinaryTrace, readBinaryTrace } from '../src/trace/binary/binaryTraceReader.js';
import { writeBinaryTrace } from '../src/trace/binary/binaryTraceWriter.js';
import { writeCsvTrace } from '../src/trace/csvTraceWriter.js';
import { forEachEventChunk, materializeTrace } from '../src/trace/eventChunks.js';
import { loadTrace } from '../src/trace/loadTrace.js';
import { Op, needsSlot } from '../src/trace/ops.js';
import { allocateTraceEvents, type Trace } from '../src/trace/traceEvents.js';
import { propertyParams } from './helpers/propertyConfig.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-mtr-'));
let counter = 0;
const KEYS = ['op', 'vcpu', 'gpa', 'sizeBytes', 'slot', 'line'] as const;

/** The events of `trace` as plain arrays per column (streamed traces read chunk by chunk). */
function columns(trace: Trace, keys: readonly (typeof KEYS)[number][] = KEYS): Record<string, number[]> {
  const out: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
  forEachEventChunk(trace, (chunk) => {
    for (const key of keys) out[key].push(...Array.from(chunk[key].subarray(0, chunk.count)));
  });
  return out;
}

function csvFile(text: string): string {
  const path = join(dir, `t${counter++}.csv`);
  writeFileSync(path, text);
  return path;
}

/** A time-ordered trace with comments, memslot rows, an x_slot column and an extra column. */
const SAMPLE = [
  '# captured on host A',
  'vcpu,op,gpa,size,time,x_slot,x_note',
  '',
  '0,SLOT_ADD,0x0,0x40000000,0,0,boot',
  '1,W,0x200000,8,5,,',
  '0,R,4096,8,3,,',
  '# a comment between rows',
  '0,DIRTY_LOG_ON,0x0,,7,0,',
  '1,X,0x3000,4,9,,',
  '0,UNMAP,0x0,0x1000,9,,',
  '',
].join('\n');

describe('binary traces: CSV → mtr → CSV', () => {
  it('keeps every event, in time order, with its source line', async () => {
    const csv = await readCsvTrace(csvFile(SAMPLE));
    const mtr = join(dir, 'sample.mtr');
    await writeBinaryTrace(csv, mtr, { chunkRecords: 2 });
    const binary = readBinaryTrace(mtr);
    expect(columns(binary)).toEqual(columns(csv));
    // Hand-checked replay order: times 0, 3, 5, 7, 9 (vCPU 1's X before the UNMAP: file order breaks the tie).
    expect(columns(binary).op).toEqual([Op.SLOT_ADD, Op.R, Op.W, Op.DIRTY_LOG_ON, Op.X, Op.UNMAP]);
    expect(columns(binary).line).toEqual([4, 6, 5, 8, 9, 10]);
    expect(columns(binary).slot).toEqual([0, -1, -1, 0, -1, -1]);
    expect([binary.vcpuCount, binary.touchedEndGpa, binary.declaresSlots, binary.name]).toEqual([2, csv.touchedEndGpa, true, 'sample']);
  });

  it('materializeTrace loads a streamed trace into memory, the same events', async () => {
    const csv = await readCsvTrace(csvFile(SAMPLE));
    const mtr = join(dir, 'materialize.mtr');
    await writeBinaryTrace(csv, mtr, { chunkRecords: 4 });
    const streamed = openBinaryTrace(mtr);
    expect(streamed.events.op.length).toBe(1); // nothing in memory
    const loaded = materializeTrace(streamed);
    expect(loaded.stream).toBeUndefined();
    expect(loaded.events.count).toBe(6);
    expect(Array.from(loaded.events.gpa)).toEqual([0, 0x1000, 0x200000, 0, 0x3000, 0]);
    expect(materializeTrace(csv)).toBe(csv);
    // loadTrace (what commands use) loads a .mtr whole unless asked to stream it, as `run` does.
    expect((await loadTrace(mtr)).stream).toBeUndefined();
    expect(columns(await loadTrace(mtr))).toEqual(columns(csv));
    expect((await loadTrace(mtr, { stream: true })).stream).toEqual({ format: 'mtr', path: mtr });
  });

  it('writes back a normalised CSV that reads as the same events', async () => {
    const csv = await readCsvTrace(csvFile(SAMPLE));
    const mtr = join(dir, 'normalised.mtr');
    await writeBinaryTrace(csv, mtr);
    const back = join(dir, 'normalised.csv');
    await writeCsvTrace(openBinaryTrace(mtr), back);
    // Lines ascend only within file order, and the time sort reordered them: rows follow each other from line 2.
    expect(readFileSync(back, 'utf8')).toBe(
      [
        'vcpu,op,gpa,size,x_slot',
        '0,SLOT_ADD,0x0,1073741824,0',
        '0,R,0x1000,8,',
        '1,W,0x200000,8,',
        '0,DIRTY_LOG_ON,0x0,1,0',
        '1,X,0x3000,4,',
        '0,UNMAP,0x0,4096,',
        '',
      ].join('\n'),
    );
    const reread = await readCsvTrace(back);
    const keys = ['op', 'vcpu', 'gpa', 'sizeBytes', 'slot'] as const;
    expect(columns(reread, keys)).toEqual(columns(csv, keys));
  });

  it('keeps line numbers through the CSV when the file was already in order', async () => {
    const csv = await readCsvTrace(csvFile('# c\nvcpu,op,gpa,size\n0,R,0x1000,8\n\n# gap\n0,W,0x2000,8\n'));
    const mtr = join(dir, 'lines.mtr');
    await writeBinaryTrace(csv, mtr);
    const back = join(dir, 'lines.csv');
    await writeCsvTrace(readBinaryTrace(mtr), back);
    expect(readFileSync(back, 'utf8')).toBe('vcpu,op,gpa,size\n\n0,R,0x1000,8\n\n\n0,W,0x2000,8\n');
    expect(columns(await readCsvTrace(back))).toEqual(columns(csv));
  });
});

/** Random events the CSV reader accepts: valid sizes, aligned memslots, x_slot only where needed, AT rows with a variant. */
const eventArb = fc
  .record({
    op: fc.oneof(fc.integer({ min: Op.R, max: Op.DIRTY_LOG_CLEAR }), fc.constant(Op.AT)),
    vcpu: fc.integer({ min: 0, max: 3 }),
    page: fc.integer({ min: 0, max: 2 ** 28 }),
    offset: fc.integer({ min: 0, max: 4095 }),
    size: fc.integer({ min: 1, max: 1 << 21 }),
    slot: fc.integer({ min: 0, max: 32767 }),
    lineGap: fc.integer({ min: 1, max: 3 }),
  })
  .map((e) => {
    const slotAdd = e.op === Op.SLOT_ADD;
    return {
      op: e.op,
      vcpu: e.vcpu,
      gpa: slotAdd ? e.page * 4096 : e.page * 4096 + e.offset,
      sizeBytes: slotAdd ? Math.ceil(e.size / 4096) * 4096 : e.size,
      slot: needsSlot(e.op) ? e.slot : e.op === Op.AT ? e.slot % 8 : -1,
      lineGap: e.lineGap,
    };
  });

/** Ops whose range is not in the touched end. */
const SLOT_AND_LOG_OPS: number[] = [Op.SLOT_ADD, Op.SLOT_DEL, Op.DIRTY_LOG_ON, Op.DIRTY_LOG_OFF];

describe('binary traces: random event columns (property)', () => {
  it('mtr → memory and mtr → CSV → memory give the same events', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), async (list, chunkRecords) => {
        const events = allocateTraceEvents(list.length);
        let line = 1;
        list.forEach((e, i) => {
          line += e.lineGap;
          events.op[i] = e.op;
          events.vcpu[i] = e.vcpu;
          events.gpa[i] = e.gpa;
          events.sizeBytes[i] = e.sizeBytes;
          events.slot[i] = e.slot;
          events.line[i] = line;
        });
        const trace: Trace = {
          path: 'random',
          name: 'random',
          events,
          vcpuCount: 4,
          // The header's touched end as docs/trace-format.md defines it (the reader refuses one below an event's end):
          // every event's [gpa, gpa + max(1, size)) but memslot ops' and the dirty-logging switches'.
          touchedEndGpa: Math.min(2 ** 52, Math.max(0, ...list.filter((e) => !SLOT_AND_LOG_OPS.includes(e.op)).map((e) => e.gpa + Math.max(1, e.sizeBytes)))),
          declaresSlots: list.some((e) => e.op === Op.SLOT_ADD),
        };
        const n = counter++;
        const mtr = join(dir, `r${n}.mtr`);
        await writeBinaryTrace(trace, mtr, { chunkRecords });
        expect(columns(openBinaryTrace(mtr))).toEqual(columns(trace));
        expect(columns(readBinaryTrace(mtr))).toEqual(columns(trace));
        const back = join(dir, `r${n}.csv`);
        await writeCsvTrace(openBinaryTrace(mtr), back);
        // Line gaps of at most 3 per event are kept as empty lines: the CSV gives the same lines too.
        expect(columns(await readCsvTrace(back))).toEqual(columns(trace));
      }),
      propertyParams(60),
    );
  }, 60_000);
});
