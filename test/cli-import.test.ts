/**
 * `mmubench import` end to end (built CLI): the written trace, its header
 * comments, the summary on stderr, --strict failures and option errors. The
 * written CSV reads back through the trace reader as the same events the
 * in-memory import (`run FORMAT:path`) makes.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../src/trace/csvTraceReader.js';
import { loadTrace } from '../src/trace/loadTrace.js';
import { expectOneLineError, fixture, runCli, tempDir } from './helpers/runCli.js';

const TINY_CSV = `# mmubench 0.1.0 import --format lackey
# source: test/fixtures/lackey-tiny.log
# vCPUs: one program, vCPU 0
# vCPU 0: test/fixtures/lackey-tiny.log
# GPA = (1 GiB slot of the program's 1 GiB virtual region, in order of first touch) + (virtual address mod 1 GiB)
# vCPU 0 virtual 0x0-0x3fffffff -> GPA 0x0
# vCPU 0 virtual 0x1fc0000000-0x1fffffffff -> GPA 0x40000000
# rows: 16 from 39 lines
# skipped lines: 24 left out (valgrind message (==PID==): 24)
vcpu,op,gpa,size
0,X,0x401000,11
0,W,0x402000,8
0,X,0x40100b,7
0,R,0x402000,8
0,X,0x401012,8
0,R,0x403000,8
0,W,0x403000,8
0,X,0x40101a,1
0,W,0x7f000778,8
0,X,0x40101b,1
0,R,0x7f000778,8
0,X,0x40101c,6
0,W,0x404000,4
0,X,0x401022,5
0,X,0x401027,2
0,X,0x401029,2
`;

describe('mmubench import', () => {
  it('writes a lackey capture as trace format v1 with its mapping and skip counts in header comments', () => {
    const out = join(tempDir(), 'tiny.csv');
    const result = runCli(['import', '--format', 'lackey', 'test/fixtures/lackey-tiny.log', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(TINY_CSV);
    // Not a terminal: no progress bar, just the end-of-import line.
    expect(result.stderr).toBe(`mmubench: 16 rows from 39 lines into ${out}; skipped 24 left out (valgrind message (==PID==): 24)\n`);
    expect(readdirSync(join(out, '..'))).toEqual(['tiny.csv']);
  });

  it('writes the real ftrace capture as the 300 GPAs the guest wrote, with times, and reads back as run imports it', async () => {
    const out = join(tempDir(), 'shadow.csv');
    const capture = 'test/fixtures/ftrace-kvmmmu-shadow-4k.txt';
    const result = runCli(['import', '--format', 'ftrace', capture, '--gpa-below', '0x40000000', '--out', out, '-q']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const text = readFileSync(out, 'utf8');
    const rows = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    const expected = readFileSync(fixture('ftrace-kvmmmu-shadow-4k.trace.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows[0]).toBe('vcpu,op,gpa,time');
    expect(rows.slice(1).map((r) => r.split(',').slice(0, 3).join(','))).toEqual(expected);
    expect(rows.slice(1, 3)).toEqual(['0,W,0xe79f000,0', '0,W,0x11e9b000,49000']);
    expect(text).toContain('# rows: 300 (and 600 level events, kept for check-levels only) from 2723 lines\n');
    // The file and `run ftrace,gpa-below=...:capture` give the same events.
    const fromFile = await readCsvTrace(out);
    const direct = await loadTrace(`ftrace,gpa-below=0x40000000:${fixture('ftrace-kvmmmu-shadow-4k.txt')}`);
    // (Line numbers differ: the import's are the capture's lines, the reader's the CSV file's.)
    for (const column of ['op', 'vcpu', 'gpa', 'sizeBytes', 'slot'] as const) expect(direct.events[column], column).toEqual(fromFile.events[column]);
    expect(direct.events.count).toBe(300);
    expect([direct.vcpuCount, direct.touchedEndGpa]).toEqual([fromFile.vcpuCount, fromFile.touchedEndGpa]);
  });

  it('--strict stops at the first bad line: exit 2, file:line and the line, no output left', () => {
    const dir = tempDir();
    const input = join(dir, 'mixed.log');
    writeFileSync(input, 'I  00401000,11\nhello from the program\n L 00402000,8\n');
    const out = join(dir, 'mixed.csv');
    const result = runCli(['import', '--format', 'lackey', '--strict', input, '--out', out]);
    expectOneLineError(result, `${input}:2: not a lackey access line: hello from the program`);
    expect(readdirSync(dir)).toEqual(['mixed.log']);
  });

  it('without --strict skips the bad line, counts it, and says so at the end and in the header', () => {
    const dir = tempDir();
    const input = join(dir, 'mixed.log');
    writeFileSync(input, 'I  00401000,11\nhello from the program\n L 00402000,8\n');
    const out = join(dir, 'mixed.csv');
    const result = runCli(['import', '--format', 'lackey', input, '--out', out]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(`mmubench: 2 rows from 3 lines into ${out}; skipped 1 not understood (not a lackey access line: 1)\n`);
    expect(readFileSync(out, 'utf8')).toContain(
      '# skipped lines: 1 not understood (not a lackey access line: 1)\nvcpu,op,gpa,size\n0,X,0x401000,11\n0,R,0x402000,8\n',
    );
  });

  it('a file with no access line is bad input, and leaves nothing', () => {
    const dir = tempDir();
    const out = join(dir, 'none.csv');
    const result = runCli(['import', '--format', 'ftrace', 'test/fixtures/lackey-tiny.log', '--out', out]);
    expectOneLineError(
      result,
      'test/fixtures/lackey-tiny.log: no access rows in 39 lines (skipped 39 not understood (not an ftrace event line (task-pid [cpu] flags timestamp: event: fields): 39))',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses options of the other format, and unknown formats, with one line each', () => {
    const out = join(tempDir(), 'x.csv');
    expectOneLineError(
      runCli(['import', '--format', 'ftrace', '--vcpus', '2', 'test/fixtures/lackey-tiny.log', '--out', out]),
      '--vcpus: only for --format lackey',
    );
    expectOneLineError(
      runCli(['import', '--format', 'pin', 'test/fixtures/lackey-tiny.log', '--out', out]),
      '--format: "pin" is not one of ftrace, lackey, qemu-mem',
    );
    expectOneLineError(
      runCli(['import', '--format', 'lackey', '--vcpus', '3', 'test/fixtures/lackey-tiny.log', 'test/fixtures/lackey-true.log', '--out', out]),
      '--vcpus: 3 with 2 inputs; give one input (copied to every vCPU) or one input per vCPU',
    );
    expectOneLineError(runCli(['import', '--format', 'lackey', 'test/fixtures/nope.log', '--out', out]), 'test/fixtures/nope.log: no such file');
  });
});
