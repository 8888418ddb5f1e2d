/**
 * The AT op in traces: the `x_at` column through the CSV reader, the .mtr
 * codec and the CSV writer; bad rows give one located line and exit 2.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../src/trace/csvTraceReader.js';
import { readBinaryTrace, openBinaryTrace } from '../src/trace/binary/binaryTraceReader.js';
import { writeBinaryTrace } from '../src/trace/binary/binaryTraceWriter.js';
import { findEventProblem } from '../src/trace/binary/chunkCodec.js';
import { writeCsvTrace } from '../src/trace/csvTraceWriter.js';
import { Op } from '../src/trace/ops.js';
import { AtVariant } from '../src/trace/atVariant.js';
import { allocateTraceEvents } from '../src/trace/traceEvents.js';
import { expectBadInput, runCli, tempDir } from './helpers/runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-at-'));

function csvFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('AT rows in traces', () => {
  it('reads x_at into the variant, touches the VA for the default slot, and survives CSV → mtr → CSV', async () => {
    const path = csvFile('ok.csv', 'vcpu,op,gpa,size,x_at\n0,R,0x1000,8,\n1,AT,0x5000,,S1E1WP\n0,AT,0x2000,,S1E2R\n');
    const trace = await readCsvTrace(path);
    expect(Array.from(trace.events.op)).toEqual([Op.R, Op.AT, Op.AT]);
    expect(Array.from(trace.events.slot)).toEqual([-1, AtVariant.S1E1WP, AtVariant.S1E2R]);
    expect(trace.touchedEndGpa).toBe(0x5001);
    const mtr = join(dir, 'ok.mtr');
    await writeBinaryTrace(trace, mtr);
    expect(Array.from(readBinaryTrace(mtr).events.slot)).toEqual([-1, 3, 6]);
    const back = join(dir, 'back.csv');
    await writeCsvTrace(openBinaryTrace(mtr), back);
    // The AT rows carry size 1 (the reader's default) and their variant in x_at.
    expect(readFileSync(back, 'utf8')).toBe('vcpu,op,gpa,size,x_at\n0,R,0x1000,8,\n1,AT,0x5000,1,S1E1WP\n0,AT,0x2000,1,S1E2R\n');
  });

  it('a binary AT event whose variant is out of range is named with the variants', () => {
    const events = allocateTraceEvents(1);
    events.op[0] = Op.AT;
    events.slot[0] = 8;
    expect(findEventProblem(events, 0, 1, 1)).toEqual({
      index: 0,
      column: 'slot',
      problem: '8 is not an AT variant (0 to 7: S1E1R, S1E1W, S1E1RP, S1E1WP, S1E0R, S1E0W, S1E2R, S1E2W)',
    });
    events.op[0] = 18; // a reserved code
    expect(findEventProblem(events, 0, 1, 1)?.problem).toBe('18 is not an op code (1 to 17, 20)');
  });

  it('an unknown variant: exit 2, one line at the row and column', () => {
    const out = join(tempDir(), 'out');
    const path = csvFile('bad-variant.csv', 'vcpu,op,gpa,size,x_at\n0,R,0x1000,8,\n0,AT,0x1000,,S1E3R\n');
    expectBadInput(
      runCli(['run', path, '--out', out, '-q']),
      out,
      `${path}:3: column x_at: "S1E3R" is not one of S1E1R, S1E1W, S1E1RP, S1E1WP, S1E0R, S1E0W, S1E2R, S1E2W`,
    );
  });

  it('an AT row without an x_at column: exit 2, one line', () => {
    const out = join(tempDir(), 'out');
    const path = csvFile('no-column.csv', 'vcpu,op,gpa,size\n0,AT,0x1000,1\n');
    expectBadInput(runCli(['run', path, '--out', out, '-q']), out, `${path}:2: column x_at: AT needs an x_at column naming the variant`);
  });
});
