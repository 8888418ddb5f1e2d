/**
 * `gen --kind memstress`: the access pattern of the selftests' memstress
 * guest (lib/memstress.c), checked by hand against its code, and replayed
 * through the model for the fault counts per vCPU.
 *
 * Park-Miller values used below (guest_random_u32: s = s * 48271 mod 2^31-1):
 * from seed 1: 48271, 182605794, ...; 48271 % 4 = 3, 182605794 % 100 = 94.
 * The first four (page % 4, write draw % 100) pairs from seed 1 are
 * (3, 94), (2, 37), (1, 83), (1, 5); from seed 2 the first is (2, 88).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MEMSTRESS_DEFAULTS, generateMemstress, guestRandomU32, type MemstressOptions } from '../src/trace/memstressGenerator.js';
import { replayText } from './helpers/traceFromText.js';
import { runCli, tempDir } from './helpers/runCli.js';

const KiB = 1024;
const MiB = 1 << 20;

function memstress(options: Partial<MemstressOptions>): string {
  return [...generateMemstress({ ...MEMSTRESS_DEFAULTS, ...options })].join('');
}

/** The data rows (no comment, no header). */
function rows(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('vcpu,'));
}

describe('gen --kind memstress', () => {
  it('guest_random_u32 is Park-Miller: 1 -> 48271 -> 182605794', () => {
    expect(guestRandomU32(1)).toBe(48271);
    expect(guestRandomU32(48271)).toBe(182605794); // 48271^2 = 2330089441 = 2147483647 + 182605794
  });

  it('partitioned: vCPU i walks its own pages in order, one 8-byte access at each page start, vCPUs taking turns', () => {
    const text = memstress({ vcpus: 2, vcpuMemoryBytes: 16 * KiB, iterations: 1 });
    // 16 KiB = 4 pages per vCPU; vCPU 1's region starts at 16 KiB (0x4000).
    expect(rows(text)).toEqual(['0,W,0x0,8', '1,W,0x4000,8', '0,W,0x1000,8', '1,W,0x5000,8', '0,W,0x2000,8', '1,W,0x6000,8', '0,W,0x3000,8', '1,W,0x7000,8']);
  });

  it('--random: page = draw % pages, then the write draw; vCPU i seeded with seed + i', () => {
    const text = memstress({ vcpus: 2, vcpuMemoryBytes: 16 * KiB, random: true, writePercent: 50 });
    const vcpu0 = rows(text).filter((r) => r.startsWith('0,'));
    const vcpu1 = rows(text).filter((r) => r.startsWith('1,'));
    // Seed 1: (3, 94) R, (2, 37) W, (1, 83) R, (1, 5) W.
    expect(vcpu0).toEqual(['0,R,0x3000,8', '0,W,0x2000,8', '0,R,0x1000,8', '0,W,0x1000,8']);
    // Seed 2: (2, 88) -> R at page 2 of vCPU 1's region, 0x4000 + 0x2000.
    expect(vcpu1[0]).toBe('1,R,0x6000,8');
  });

  it('the random state carries over GUEST_SYNC: pass 2 continues the draws of pass 1', () => {
    // Seed 1, 4 pages, 50% writes: draws 1-8 make pass 1, draws 9-16 pass 2 (worked out from s = s * 48271 mod 2^31-1).
    const r = rows(memstress({ vcpuMemoryBytes: 16 * KiB, random: true, writePercent: 50, iterations: 2 }));
    expect(r).toEqual(['0,R,0x3000,8', '0,W,0x2000,8', '0,R,0x1000,8', '0,W,0x1000,8', '0,W,0x3000,8', '0,W,0x3000,8', '0,W,0x3000,8', '0,W,0x1000,8']);
  });

  it('--dirty-log: the populate pass (sequential, all writes) still takes one write draw per page', () => {
    // Draws 1-4 go to populate; the first dirty pass starts at draw 5: pages 1, 1, 3, 3 (R, W, W, W).
    const r = rows(memstress({ vcpuMemoryBytes: 16 * KiB, random: true, writePercent: 50, iterations: 1, dirtyLog: 'get' }));
    expect(r).toEqual([
      '0,W,0x0,8,',
      '0,W,0x1000,8,',
      '0,W,0x2000,8,',
      '0,W,0x3000,8,',
      '0,DIRTY_LOG_ON,0x0,,0',
      '0,R,0x1000,8,',
      '0,W,0x1000,8,',
      '0,W,0x3000,8,',
      '0,W,0x3000,8,',
      '0,DIRTY_LOG_GET,0x0,,0',
      '0,DIRTY_LOG_OFF,0x0,,0',
    ]);
  });

  it('--write-percent 50 over 1024 pages in order: 515 writes (draws % 100 below 50, counted from seed 1)', () => {
    const r = rows(memstress({ vcpuMemoryBytes: 4 * MiB, writePercent: 50 }));
    expect(r.length).toBe(1024);
    expect(r.filter((row) => row.includes(',W,')).length).toBe(515);
    expect(rows(memstress({ vcpuMemoryBytes: 4 * MiB, writePercent: 0 })).filter((row) => row.includes(',W,')).length).toBe(0);
  });

  it('replayed on 4K backing: each vCPU faults once per page of its region, the second pass hits', async () => {
    // 2 vCPUs x 64 KiB = 16 pages each, 2 passes: 64 accesses, 16 missing faults per vCPU.
    const r = await replayText(memstress({ vcpus: 2, vcpuMemoryBytes: 64 * KiB, iterations: 2 }), { backing: '4k' });
    expect(r.total.accesses).toBe(64);
    expect(r.vcpus.map((v) => v.faults_missing)).toEqual([16, 16]);
    expect(r.vcpus.map((v) => v.accesses)).toEqual([32, 32]);
  });

  it('replayed on 2M backing: 4 MiB per vCPU is two 2M faults per vCPU', async () => {
    const r = await replayText(memstress({ vcpus: 2, vcpuMemoryBytes: 4 * MiB }), { backing: '2m' });
    expect(r.vcpus.map((v) => v.faults_missing)).toEqual([2, 2]);
    expect(r.vm.pages_2m).toBe(4);
  });

  it('--overlap: every vCPU walks the whole region; the vCPU that comes first takes every fault', async () => {
    // 2 vCPUs x 8 KiB overlapping = 4 pages each from 0; vCPU 0 touches each page just before vCPU 1.
    const text = memstress({ vcpus: 2, vcpuMemoryBytes: 8 * KiB, overlap: true });
    expect(rows(text)).toEqual(['0,W,0x0,8', '1,W,0x0,8', '0,W,0x1000,8', '1,W,0x1000,8', '0,W,0x2000,8', '1,W,0x2000,8', '0,W,0x3000,8', '1,W,0x3000,8']);
    const r = await replayText(text, { backing: '4k' });
    expect(r.vcpus.map((v) => v.faults_missing)).toEqual([4, 0]);
  });

  it('--base-gpa moves the region', () => {
    expect(rows(memstress({ vcpuMemoryBytes: 8 * KiB, baseGpa: 0x40000000 }))).toEqual(['0,W,0x40000000,8', '0,W,0x40001000,8']);
  });

  it('the CLI writes the same file as the generator, and refuses memstress flags on other kinds and bad sizes', () => {
    const dir = tempDir();
    const path = join(dir, 'ms.csv');
    const ok = runCli(['gen', '--kind', 'memstress', '--vcpus', '2', '--vcpu-memory', '0x4000', '--random', '--write-percent', '50', '--out', path]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(memstress({ vcpus: 2, vcpuMemoryBytes: 16 * KiB, random: true, writePercent: 50 }));
    const wrongKind = runCli(['gen', '--kind', 'random', '--random', '--out', join(dir, 'x.csv')]);
    expect(wrongKind.status).toBe(2);
    expect(wrongKind.stderr).toBe('mmubench: --random: only for --kind memstress\n');
    const unaligned = runCli(['gen', '--kind', 'memstress', '--vcpu-memory', '5000', '--out', join(dir, 'y.csv')]);
    expect(unaligned.status).toBe(2);
    expect(unaligned.stderr).toBe('mmubench: --vcpu-memory: "5000" is not a multiple of 4096 (whole guest pages)\n');
    const percent = runCli(['gen', '--kind', 'memstress', '--write-percent', '101', '--out', join(dir, 'z.csv')]);
    expect(percent.status).toBe(2);
    expect(percent.stderr).toBe('mmubench: --write-percent: "101" is not an integer from 0 to 100\n');
  });

  it('--dirty-log: 2 dirty passes by default, each followed by DIRTY_LOG_GET; clear needs 256 KiB alignment', () => {
    const dir = tempDir();
    const path = join(dir, 'd.csv');
    const ok = runCli(['gen', '--kind', 'memstress', '--vcpu-memory', '8192', '--dirty-log', '--out', path]);
    expect(ok.status).toBe(0);
    // 2 pages: populate (2 W), ON, pass 1 (2 W), GET, pass 2 (2 W), GET, OFF.
    expect(rows(readFileSync(path, 'utf8'))).toEqual([
      '0,W,0x0,8,',
      '0,W,0x1000,8,',
      '0,DIRTY_LOG_ON,0x0,,0',
      '0,W,0x0,8,',
      '0,W,0x1000,8,',
      '0,DIRTY_LOG_GET,0x0,,0',
      '0,W,0x0,8,',
      '0,W,0x1000,8,',
      '0,DIRTY_LOG_GET,0x0,,0',
      '0,DIRTY_LOG_OFF,0x0,,0',
    ]);
    const clear = runCli(['gen', '--kind', 'memstress', '--vcpu-memory', '262144', '--dirty-log', 'clear', '--iterations', '1', '--slot', '2', '--out', path]);
    expect(clear.status).toBe(0);
    expect(rows(readFileSync(path, 'utf8')).filter((r) => r.includes('DIRTY'))).toEqual([
      '0,DIRTY_LOG_ON,0x0,,2',
      '0,DIRTY_LOG_CLEAR,0x0,262144,2',
      '0,DIRTY_LOG_OFF,0x0,,2',
    ]);
    const unaligned = runCli(['gen', '--kind', 'memstress', '--vcpu-memory', '8192', '--dirty-log', 'clear', '--out', join(dir, 'u.csv')]);
    expect(unaligned.status).toBe(2);
    expect(unaligned.stderr).toContain('mmubench: --dirty-log clear: --base-gpa and the test memory (--vcpus x --vcpu-memory) must be multiples of 262144');
  });
});
