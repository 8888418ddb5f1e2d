/**
 * The CSV reader's byte parser for plain files (csvPlainRows.ts) gives
 * exactly what csv-parse gives: the same events, lines and trace fields, or
 * the same error message — over mutations of plain traces (`\n` and `\r\n`
 * line ends) that stay plain, and ones that do not (which must fall back).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { openCsvTrace, readCsvTrace, readWithCsvParse } from '../src/trace/csvTraceReader.js';
import type { Trace } from '../src/trace/traceEvents.js';
import { propertyParams } from './helpers/propertyConfig.js';
import { textFiles } from './helpers/textFiles.js';

const { file } = textFiles('fast');

/** The trace as plain data, or the InputError message. */
async function outcome(read: (path: string) => Promise<Trace>, path: string): Promise<unknown> {
  try {
    const t = await read(path);
    const ev = t.events;
    const cols = [ev.op, ev.vcpu, ev.gpa, ev.sizeBytes, ev.slot, ev.line].map((c) => Array.from(c.subarray(0, ev.count)));
    return { cols, vcpuCount: t.vcpuCount, touchedEndGpa: t.touchedEndGpa, declaresSlots: t.declaresSlots };
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
}

const PLAIN = [
  '# mmubench gen --kind hotcold --seed 1 (a comment may hold "quotes", spaces and, commas)',
  'vcpu,op,gpa,size,time,x_slot',
  '',
  '0,R,0x1000,8,1,',
  '1,W,4096,4096,2,',
  '#another comment',
  '0,PREFAULT,0x0,0x200000,3,',
  '0,SLOT_ADD,0x40000000,0x1000,4,1',
  '0,DIRTY_LOG_ON,0x0,,5,1',
  '0,X,0xfffffffffff8,8,6,',
].join('\n');

describe('CSV reader fast path', () => {
  it('takes plain files, comments with spaces and quotes included, with \\n or \\r\\n line ends', async () => {
    for (const text of [PLAIN, PLAIN.replaceAll('\n', '\r\n')]) {
      const trace = await openCsvTrace(file(text));
      expect(trace.stream?.csvParser, JSON.stringify(text.slice(0, 120))).toBe('bytes');
      expect(trace.events.count).toBe(6); // 6 rows after the header
    }
  });

  it('leaves to csv-parse a file with a quote, a lone CR, a mixed line end, a space or a # inside a line', async () => {
    for (const text of [
      'vcpu,op,gpa\n0,"R",0x1000\n',
      'vcpu,op,gpa\n0,R,0x1000\r\n',
      'vcpu,op,gpa\r\n0,R,0x1000\n',
      'vcpu,op,gpa\r0,R,0x1000\r',
      'vcpu,op,gpa\n0, R,0x1000\n',
      'vcpu,op,gpa,x_note\n0,R,0x1000,a#b\n',
    ]) {
      expect((await openCsvTrace(file(text))).stream?.csvParser, JSON.stringify(text)).toBe('csv-parse');
    }
  });

  it('gives what csv-parse gives, events or error, on mutated traces (property)', async () => {
    // Mutations insert characters that keep a file plain and ones that do not.
    const piece = fc.constantFrom(',', '\n', '#', ' ', '"', '\r', 'x', '0', '9', 'R', 'W', '0x', '\uFEFF', 'é', 'SLOT_DEL');
    const mutation = fc.tuple(fc.integer({ min: 0, max: PLAIN.length }), fc.integer({ min: 0, max: 4 }), piece);
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { maxLength: 4 }), async (mutations) => {
        let text = PLAIN;
        for (const [at, remove, insert] of mutations) text = text.slice(0, at) + insert + text.slice(at + remove);
        const path = file(text);
        expect(await outcome(readCsvTrace, path)).toEqual(await outcome(readWithCsvParse, path));
      }),
      propertyParams(250),
    );
  }, 60_000);

  it('gives what csv-parse gives for each cell at and beyond its limits, in either column order', async () => {
    const cells: Record<string, string[]> = {
      vcpu: ['4095', '4096', '04095', '00000', '', '1x', '0x1'],
      gpa: [
        '0xfffffffffffff',
        '0x10000000000000',
        '0x0000000000000000fff',
        '4503599627370495',
        '4503599627370496',
        '999999999999999',
        '9999999999999999',
        '0x',
        '0X1F',
        '0xg',
        '',
      ],
      size: ['', '0', '1', '08', '0x0', '0x10', '4503599627370496', '999999999999999', '1x'],
      time: ['', '0', '01', '999999999999999', '9007199254740991', '9007199254740992', '0x1'],
    };
    const base: Record<string, string> = { vcpu: '1', gpa: '0x1000', size: '8', time: '5' };
    for (const [column, values] of Object.entries(cells)) {
      for (const value of values) {
        const row = { ...base, [column]: value };
        // The canonical order (straight-line rows) and another (rows parsed by the header's kinds).
        for (const text of [
          `vcpu,op,gpa,size,time\n0,R,0x0,8,0\n${row.vcpu},W,${row.gpa},${row.size},${row.time}\n`,
          `time,x_n,size,gpa,op,vcpu\n0,,8,0x0,R,0\n${row.time},a,${row.size},${row.gpa},W,${row.vcpu}\n`,
        ]) {
          const path = file(text);
          expect(await outcome(readCsvTrace, path), `${column} ${value}`).toEqual(await outcome(readWithCsvParse, path));
        }
      }
    }
  });

  it('gives what csv-parse gives on mutated traces in the canonical column order (property)', async () => {
    // vcpu,op,gpa[,size][,time]: the byte parser's straight-line rows, with numbers at their limits.
    const bases = [
      'vcpu,op,gpa,size\n0,R,0x1000,8\n4095,W,0X000fffffffffffff,1\n12,X,999999999999999,4096\n0,R,0x10,\n',
      'vcpu,op,gpa,size,time\n0,R,0x1000,08,1\n1,W,4096,0x10,999999999999999\n0,X,0x0,1,2\n',
      'vcpu,op,gpa\n0,R,0x1000\n3,W,0\n',
    ];
    const piece = fc.constantFrom(',', '\n', '0', '9', 'f', 'x', 'X', '0x', 'R', 'W', 'P', '', '00000000000000', '4096', '\r\n');
    const mutation = fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 3 }), piece);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...bases), fc.array(mutation, { maxLength: 3 }), async (base, mutations) => {
        let text = base;
        for (const [at, remove, insert] of mutations) text = text.slice(0, at % (text.length + 1)) + insert + text.slice((at % (text.length + 1)) + remove);
        const path = file(text);
        expect(await outcome(readCsvTrace, path)).toEqual(await outcome(readWithCsvParse, path));
      }),
      propertyParams(400),
    );
  }, 60_000);

  it('gives what csv-parse gives on mutated \\r\\n traces (property)', async () => {
    const crlf = PLAIN.replaceAll('\n', '\r\n');
    const piece = fc.constantFrom(',', '\r\n', '\n', '\r', '#', ' ', 'x', '0', 'R', '0x', '');
    const mutation = fc.tuple(fc.integer({ min: 0, max: crlf.length }), fc.integer({ min: 0, max: 4 }), piece);
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { maxLength: 4 }), async (mutations) => {
        let text = crlf;
        for (const [at, remove, insert] of mutations) text = text.slice(0, at) + insert + text.slice(at + remove);
        const path = file(text);
        expect(await outcome(readCsvTrace, path)).toEqual(await outcome(readWithCsvParse, path));
      }),
      propertyParams(250),
    );
  }, 60_000);
});
