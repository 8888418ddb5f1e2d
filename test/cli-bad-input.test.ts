/**
 * `mmubench run` on bad input: exit 2, one stderr line `mmubench: ...` (for
 * trace errors `FILE:LINE: column NAME: ...`, lines counting comments, empty
 * lines and the header), and no report folder or temporary folder left.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectBadInput, expectNoTempFolder, expectOneLineError, fixture, runCli, tempDir } from './helpers/runCli.js';

/** `run TRACE --out <fresh dir>/out ...flags`; returns the result and the out path. */
function run(trace: string, flags: string[] = []) {
  const out = join(tempDir(), 'out');
  return { out, result: runCli(['run', trace, '--out', out, '-q', ...flags]) };
}

describe('mmubench run: bad trace files', () => {
  it('reports a bad gpa with its physical line (comment, header and empty line counted)', () => {
    const trace = fixture('bad-gpa.csv');
    const { out, result } = run(trace);
    expectBadInput(result, out, `${trace}:5: column gpa: "0xZZ" is not a hex or decimal address`);
  });

  it('reports an unknown op', () => {
    const trace = fixture('unknown-op.csv');
    const { out, result } = run(trace);
    expectBadInput(result, out, `${trace}:3: column op: "READ" is not one of R, W, X, PREFAULT, UNMAP, WRPROTECT,`, 'prefix');
  });

  it('reports an unknown header column without the x_ prefix', () => {
    const trace = fixture('unknown-column.csv');
    const { out, result } = run(trace);
    expectBadInput(result, out, `${trace}:1: column slot: unknown column (expected vcpu, op, gpa, size, time, or an x_ prefix for extras)`);
  });

  it('accepts an extra column with the x_ prefix', () => {
    const { out, result } = run(fixture('extra-column.csv'), ['--threads', '0']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(existsSync(join(out, 'results.csv'))).toBe(true);
  });

  it('reports a missing required column', () => {
    const trace = fixture('missing-gpa-column.csv');
    const { out, result } = run(trace);
    expectBadInput(result, out, `${trace}:1: column gpa: missing from the header (required: vcpu, op, gpa)`);
  });

  it('reports time going backwards for the same vCPU (another vCPU may be earlier)', () => {
    const trace = fixture('time-backwards.csv');
    const { out, result } = run(trace);
    expectBadInput(result, out, `${trace}:4: column time: 7 is earlier than 10, the previous time of vCPU 0`);
  });

  it('reports a gpa at 2^52 or above', () => {
    const trace = fixture('gpa-beyond-52-bits.csv');
    const { out, result } = run(trace);
    expectBadInput(result, out, `${trace}:3: column gpa: "0x10000000000000" is beyond the 52-bit address limit`);
  });

  it('reports a row with fewer cells than the header', () => {
    const trace = fixture('wrong-column-count.csv');
    const { out, result } = run(trace);
    expectBadInput(result, out, `${trace}:3: expected 4 columns as in the header, found 3`);
  });

  it('reports an empty file', () => {
    const trace = fixture('empty.csv');
    const { out, result } = run(trace);
    expectBadInput(result, out, `${trace}:1: empty trace: expected a header row "vcpu,op,gpa[,size][,time]"`);
  });

  it('reports a SLOT_DEL of an unknown slot, found during replay, without writing a report', () => {
    const trace = fixture('slot-del-unknown.csv');
    const { out, result } = run(trace);
    expectBadInput(result, out, `${trace}:3: column op: SLOT_DEL: memslot 3 does not exist`);
  });

  it('reports a trace file that does not exist', () => {
    const trace = join(tempDir(), 'nonexistent.csv');
    const { out, result } = run(trace);
    expectBadInput(result, out, `${trace}: no such file`);
  });

  it('reports a folder given as a trace', () => {
    const dir = tempDir();
    const { out, result } = run(dir);
    expectBadInput(result, out, `${dir}: is a directory, not a trace file`);
  });
});

describe('mmubench run: bad flags', () => {
  const trace = fixture('tiny-valid.csv');

  it('rejects an unknown --arch', () => {
    const { out, result } = run(trace, ['--arch', 'nope']);
    expectBadInput(result, out, '--arch: "nope" is not one of x86-tdp', 'prefix');
  });

  it('rejects --max-level 3m', () => {
    const { out, result } = run(trace, ['--max-level', '3m']);
    expectBadInput(result, out, '--max-level: "3m" is not one of 4k, 2m, 1g');
  });

  it('rejects an unknown --prefault-flags name', () => {
    const { out, result } = run(trace, ['--prefault-flags', 'write+bogus']);
    expectBadInput(result, out, '--prefault-flags: "write+bogus": "bogus" is not one of write, exec, user, private (or give auto or none)');
  });

  it('rejects --tlb-ways that do not divide --tlb-entries', () => {
    const { out, result } = run(trace, ['--tlb-entries', '10', '--tlb-ways', '3']);
    expectBadInput(result, out, '--tlb-ways: 3 ways do not divide --tlb-entries 10 into whole sets');
  });

  it('rejects overlapping --memslot flags', () => {
    const { out, result } = run(trace, ['--memslot', '0x0:0x40000000', '--memslot', '0x20000000:0x1000']);
    expectBadInput(result, out, '--memslot: "0x0:0x40000000" overlaps another --memslot');
  });

  it('refuses an existing --out folder without --force and leaves it untouched', () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'precious\n');
    const result = runCli(['run', trace, '--out', out, '-q']);
    expectOneLineError(result, `--out: ${out} already exists (choose a new folder, or --force to replace it)`);
    expect(readdirSync(out)).toEqual(['keep.txt']);
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('precious\n');
    expectNoTempFolder(out);
  });
});
