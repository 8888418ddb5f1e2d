/**
 * `run` reads a streamed `.mtr` once: the header is checked up front, every
 * chunk as the replay reads it (issue 14, "one pass over the file that checks
 * and replays"). A bad record in a later chunk still fails the run with the
 * same located line a full check gives (`FILE: chunk K: ...`), exit 2, and
 * no report folder, on the pool and inline.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { openBinaryTrace } from '../src/trace/binary/binaryTraceReader.js';
import { writeBinaryTrace } from '../src/trace/binary/binaryTraceWriter.js';
import { CHUNK_HEADER_BYTES, FILE_HEADER_BYTES } from '../src/trace/binary/mtrFormat.js';
import { allocateTraceEvents } from '../src/trace/traceEvents.js';
import { Op } from '../src/trace/ops.js';
import { expectBadInput, runCli } from './helpers/runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-mtr-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bad = join(dir, 'bad.mtr');
let fullCheckMessage = '';

/**
 * 12 reads in chunks of 4, gpa ((7 i) mod 12) * 0x1000 + 0x40 (not linear: raw gpa; vcpu, op, size, slot, line
 * arithmetic). Source "t" pads the header to 72 bytes; each chunk is its header plus
 * 4 raw gpas (32 bytes). The third chunk's first gpa becomes 2^53: not a GPA.
 */
beforeAll(async () => {
  const events = allocateTraceEvents(12);
  for (let i = 0; i < 12; i++) {
    events.gpa[i] = ((i * 7) % 12) * 0x1000 + 0x40;
    events.op[i] = Op.R;
    events.vcpu[i] = 0;
    events.sizeBytes[i] = 8;
    events.slot[i] = -1;
    events.line[i] = i + 2;
  }
  const good = join(dir, 'good.mtr');
  await writeBinaryTrace({ path: good, name: 'good', events, vcpuCount: 1, touchedEndGpa: 0xc000, declaresSlots: false }, good, {
    chunkRecords: 4,
    source: 't',
  });
  const image = new Uint8Array(readFileSync(good));
  const chunk2Payload = FILE_HEADER_BYTES + 8 + 2 * (CHUNK_HEADER_BYTES + 32) + CHUNK_HEADER_BYTES;
  new DataView(image.buffer).setFloat64(chunk2Payload, 2 ** 53, true);
  writeFileSync(bad, image);
  try {
    openBinaryTrace(bad); // the full check, as `run` did before replaying
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    fullCheckMessage = error.message;
  }
});

describe('run checks a streamed .mtr as it replays it', () => {
  it('the full check finds the bad record in chunk 2 (the fixture is what it says)', () => {
    expect(fullCheckMessage.startsWith(`${bad}: chunk 2: `), fullCheckMessage).toBe(true);
  });

  it.each([
    ['the pool', []],
    ['inline', ['--threads', '0']],
  ])('%s: the same one line, exit 2, no report folder', (_, threads) => {
    const out = join(dir, `out-${threads.length}`);
    expectBadInput(runCli(['run', bad, '--out', out, '-q', ...threads]), out, fullCheckMessage);
  });
});
