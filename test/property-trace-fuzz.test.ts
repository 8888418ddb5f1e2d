/**
 * Fuzzing the CSV trace reader with random and mutated inputs: each input
 * either parses or fails with a located InputError — never another exception,
 * never a hang (the test timeout bounds it).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { readCsvTrace } from '../src/trace/csvTraceReader.js';
import { propertyParams } from './helpers/propertyConfig.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-fuzz-'));
let counter = 0;

/** Read `bytes` as a trace file: 'ok', or the InputError message (anything else is thrown). */
async function outcome(bytes: Uint8Array | string): Promise<string> {
  const path = join(dir, `t${counter++}.csv`);
  writeFileSync(path, bytes);
  try {
    await readCsvTrace(path);
    return 'ok';
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
}

const VALID = [
  '\uFEFF# comment\r\n',
  'vcpu,op,gpa,size,time,x_slot\r\n',
  '0,R,0x1000,8,1,\r\n',
  '1,W,4096,4096,2,\r\n',
  '0,PREFAULT,0x0,0x200000,3,\r\n',
  '0,SLOT_ADD,0x40000000,0x1000,4,1\r\n',
  '0,DIRTY_LOG_ON,0x0,,5,1\r\n',
  '0,X,0xfffffffffff8,8,6,\r\n',
].join('');

describe('trace reader fuzzing (property)', () => {
  it('random bytes parse or give a located error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        const result = await outcome(bytes);
        expect(result === 'ok' || result.startsWith(join(dir, 't'))).toBe(true);
      }),
      propertyParams(150),
    );
  }, 60_000);

  it('mutations of a valid trace parse or give a file:line error', async () => {
    const mutation = fc.tuple(fc.integer({ min: 0, max: VALID.length - 1 }), fc.integer({ min: 0, max: 5 }), fc.string({ maxLength: 6 }));
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
        let text = VALID;
        for (const [at, remove, insert] of mutations) text = text.slice(0, at) + insert + text.slice(at + remove);
        const result = await outcome(text);
        // Either parsed, or "<file>:<line>: ..." (or "<file>: ..." for file-level problems).
        expect(result === 'ok' || /^\/.*\.csv(:\d+)?: /.test(result)).toBe(true);
      }),
      propertyParams(200),
    );
  }, 60_000);

  it('the unmutated trace parses (BOM, CRLF, comments, time, x_slot)', async () => {
    expect(await outcome(VALID)).toBe('ok');
  });

  it('edge rows give their documented errors', async () => {
    const header = 'vcpu,op,gpa,size\n';
    expect(await outcome(header + '0,R,0xffffffffffff8,16\n')).toMatch(/:2: column size: gpa \+ size is beyond the 52-bit address limit$/);
    expect(await outcome(header + '0,R,0x1000,0\n')).toMatch(/:2: column size: R needs a size of at least 1 byte$/);
    expect(await outcome(header + '4096,R,0x1000,8\n')).toMatch(/:2: column vcpu: "4096" is larger than 4095$/);
    expect(await outcome('0,R,0x1000,8\n')).toMatch(/:1: column 0: unknown column/);
    expect(await outcome('')).toMatch(/:1: empty trace/);
  });
});
