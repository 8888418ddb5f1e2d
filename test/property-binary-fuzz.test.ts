/**
 * Fuzzing the binary trace reader with random bytes and mutations of a valid
 * file: each input either decodes or fails with an `InputError` naming the
 * file — never another exception, never a hang (bounded sizes; the test
 * timeout bounds the time).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { decodeBinaryTrace } from '../src/trace/binary/binaryTraceReader.js';
import { writeBinaryTrace } from '../src/trace/binary/binaryTraceWriter.js';
import { MTR_MAGIC } from '../src/trace/binary/mtrFormat.js';
import { Op } from '../src/trace/ops.js';
import { allocateTraceEvents } from '../src/trace/traceEvents.js';
import { propertyParams } from './helpers/propertyConfig.js';

const NAME = 'fuzz.mtr';
let valid: Uint8Array;

/** 'ok', or the InputError message (anything else is thrown). */
function outcome(bytes: Uint8Array): string {
  try {
    const trace = decodeBinaryTrace(bytes, NAME);
    expect(trace.events.count).toBeLessThanOrEqual(bytes.length);
    return 'ok';
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
}

/** Located: the file, then the part (header, chunk K, end marker), ending with the byte offset. */
const LOCATED = /^fuzz\.mtr: (header|chunk \d+|end marker): .+ \(byte \d+\)$/;

beforeAll(async () => {
  // 40 events over 3 chunks, with raw and arithmetic columns and a memslot row.
  const events = allocateTraceEvents(40);
  for (let i = 0; i < 40; i++) {
    events.op[i] = i === 0 ? Op.SLOT_ADD : (i % 3) + 1;
    events.vcpu[i] = i % 2;
    events.gpa[i] = i === 0 ? 0 : ((i * 7919) % 512) * 4096;
    events.sizeBytes[i] = i === 0 ? 1 << 30 : 8;
    events.slot[i] = i === 0 ? 3 : -1;
    events.line[i] = i + 2;
  }
  const path = join(mkdtempSync(join(tmpdir(), 'mmubench-mtr-fuzz-')), 'valid.mtr');
  await writeBinaryTrace({ path, name: 'v', events, vcpuCount: 2, touchedEndGpa: 1 << 21, declaresSlots: true }, path, {
    chunkRecords: 16,
    source: 'fuzz seed',
  });
  valid = new Uint8Array(readFileSync(path));
});

describe('binary trace reader fuzzing (property)', () => {
  it('the seed file decodes', () => {
    expect(outcome(valid)).toBe('ok');
  });

  it('random bytes (with and without the magic) decode or give a located error', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 600 }), (magic, bytes) => {
        const input = magic ? new Uint8Array([...MTR_MAGIC, ...bytes]) : bytes;
        const result = outcome(input);
        expect(result === 'ok' || LOCATED.test(result), result).toBe(true);
      }),
      propertyParams(300),
    );
  });

  it('mutations of a valid file decode or give a located error', () => {
    const edit = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete'));
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), fc.option(fc.nat(), { nil: undefined }), (edits, cut) => {
        let bytes = Array.from(valid);
        for (const [at, value, kind] of edits) {
          const i = at % (bytes.length + 1);
          if (kind === 'set' && i < bytes.length) bytes[i] = value;
          else if (kind === 'insert') bytes.splice(i, 0, value);
          else bytes.splice(i, 1);
        }
        if (cut !== undefined) bytes = bytes.slice(0, cut % (bytes.length + 1));
        const result = outcome(new Uint8Array(bytes));
        expect(result === 'ok' || LOCATED.test(result), result).toBe(true);
      }),
      propertyParams(400),
    );
  });
});
