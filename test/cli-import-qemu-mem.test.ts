/**
 * `mmubench import --format qemu-mem` and `run qemu-mem:PATH` end to end:
 * the CSV written from the fixture, a located `--strict` error with exit 2
 * and nothing written, and a replay of the capture straight from its file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, runCli, tempDir } from './helpers/runCli.js';

describe('mmubench import --format qemu-mem', () => {
  it('writes the six rows of the fixture with the mapping and skip counts in its header comments', () => {
    const out = join(tempDir(), 'q.csv');
    const result = runCli(['import', '--format', 'qemu-mem', fixture('qemu-mem-tiny.log'), '--out', out, '-q']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('# skipped lines: 3 left out (header line: 1; empty line: 1; plugin summary line: 1)\n');
    expect(text.slice(text.indexOf('vcpu,'))).toBe(
      'vcpu,op,gpa,size\n0,R,0xffff0,1\n0,W,0x3a00000,8\n0,W,0x3a00008,8\n0,R,0x1013ff8,4\n0,W,0x12345000,2\n0,R,0x12345010,16\n',
    );
  });

  it('--strict: exit 2, one located line, no output file', () => {
    const dir = tempDir();
    const input = join(dir, 'cap.log');
    writeFileSync(input, 'insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value\n0x1,,0x2,0x3000,12,load,0x00\n');
    const out = join(dir, 'q.csv');
    const result = runCli(['import', '--format', 'qemu-mem', '--strict', input, '--out', out]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`mmubench: ${input}:2: bad access_size (expected 8, 16, 32, 64 or 128 bits): 0x1,,0x2,0x3000,12,load,0x00\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('run qemu-mem:PATH replays the capture: 4 distinct 4K pages, 4 faults with 4K backing', () => {
    // 6 accesses to 4 pages: 0xff, 0x3a00 (twice), 0x1013 (0x1013ff8 + 4 bytes stays in it), 0x12345 (twice).
    const out = join(tempDir(), 'report');
    const result = runCli(['run', `qemu-mem:${fixture('qemu-mem-tiny.log')}`, '--out', out, '--backing', '4k', '--prefault', 'none', '--threads', '0', '-q']);
    expect(result.status).toBe(0);
    const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
    const header = csv[0].split(',');
    const total = csv.map((line) => line.split(',')).find((cells) => cells[header.indexOf('vcpu')] === 'all')!;
    expect(Number(total[header.indexOf('accesses')])).toBe(6);
    expect(Number(total[header.indexOf('faults')])).toBe(4);
  });
});
