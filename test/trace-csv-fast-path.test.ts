/**
 * The CSV reader's byte parser for plain files (csvPlainRows.ts) gives
 * exactly what csv-parse gives: the same events, lines and trace fields, or
 * the same error message — over mutations of plain traces (`\n` and `\r\n`
 * line ends) that stay plain, and ones that do not (which must fall back).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { openCsvTrace, readCsvTrace, readWithCsvParse } from '../src/trace/csvTraceReader.js';
import type { Trace } from '../src/trace/traceEvents.js';
import { propertyParams } from './helpers/propertyConfig.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-fast-'));
let counter = 0;

function file(text: string): string {
  const path = join(dir, `t${counter++}.csv`);
  writeFileSync(path, text);
  return path;
}

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
