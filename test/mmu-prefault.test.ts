import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const MiB = 1 << 20;
const SLOT = [{ gpa: 0, sizeBytes: 4 * MiB }];

describe('KVM_PRE_FAULT_MEMORY', () => {
  it('a range straddling the slot end maps what is inside, then ENOENT with 4 KiB left', async () => {
    // As pre_fault_memory_test.c: [slot end - 4K, slot end + 4K) on 4K backing.
    const r = await replayText(HEADER + `0,PREFAULT,${4 * MiB - 4096},8192\n`, { backing: '4k' }, SLOT);
    expect(r.prefaultCalls.map((c) => [c.result, c.remainingBytes])).toEqual([
      [0, 4096],
      [-2, 4096],
    ]);
    expect(r.total.prefault_calls).toBe(2);
    expect(r.total.prefault_errors).toBe(1);
    expect(r.total.prefault_pages).toBe(1);
  });

  it('EINVAL for an unaligned GPA, an unaligned size and a zero size; nothing mapped', async () => {
    const csv = HEADER + '0,PREFAULT,0x800,4096\n0,PREFAULT,0x0,100\n0,PREFAULT,0x0,0\n';
    const r = await replayText(csv, { backing: '4k' }, SLOT);
    expect(r.prefaultCalls.map((c) => c.result)).toEqual([-22, -22, -22]);
    expect(r.total.prefault_errors).toBe(3);
    expect(r.vm.pages_4k).toBe(0);
  });

  it('a 4 KiB pre-fault on 2M backing maps the whole 2 MiB page, beyond the request', async () => {
    const r = await replayText(HEADER + '0,PREFAULT,0x1000,4096\n0,R,0x100000,8\n', { backing: '2m' }, SLOT);
    expect(r.prefaultCalls).toHaveLength(1);
    expect(r.prefaultCalls[0].result).toBe(0);
    expect(r.total.prefault_pages).toBe(512);
    expect(r.vm.pages_2m).toBe(1);
    expect(r.total.faults).toBe(0);
  });

  it('pre-faulted pages are never counted as guest faults; pre-faulting twice maps nothing new', async () => {
    const csv = HEADER + '0,PREFAULT,0x0,0x10000\n0,PREFAULT,0x0,0x10000\n0,R,0x0,8\n0,R,0xf000,8\n0,R,0x10000,8\n';
    const r = await replayText(csv, { backing: '4k' }, SLOT);
    expect(r.total.prefault_calls).toBe(2);
    expect(r.total.prefault_pages).toBe(16);
    expect(r.total.faults).toBe(1);
    expect(r.vm.pages_4k).toBe(17);
  });

  it('a pre-fault over 4K mappings in a region allowed 2M replaces them by one 2M mapping', async () => {
    // Dirty logging makes the guest's two faults map 4K; `keep` leaves them after logging stops.
    const csv = 'vcpu,op,gpa,size,x_slot\n0,DIRTY_LOG_ON,0x0,,0\n0,R,0x0,8,\n0,R,0x1000,8,\n0,DIRTY_LOG_OFF,0x0,,0\n0,PREFAULT,0x0,4096,\n';
    const r = await replayText(csv, { backing: '2m', dirtyLogOff: 'keep' }, SLOT);
    expect(r.vm.pages_4k).toBe(0);
    expect(r.vm.pages_2m).toBe(1);
    // 512 frames mapped by the 2M leaf, 2 of them were mapped before.
    expect(r.total.prefault_pages).toBe(510);
  });

  it('a pre-fault under dirty logging splits a 2M mapping and maps nothing new (x86)', async () => {
    const csv = 'vcpu,op,gpa,size,x_slot\n0,R,0x0,8,\n0,DIRTY_LOG_ON,0x0,,0\n0,PREFAULT,0x0,4096,\n';
    const r = await replayText(csv, { backing: '2m', eagerSplit: 'off' }, SLOT);
    expect(r.prefaultCalls.map((c) => c.result)).toEqual([0]);
    expect(r.vm.pages_2m).toBe(0);
    expect(r.vm.pages_4k).toBe(512);
    expect(r.total.prefault_pages).toBe(0);
  });

  it('GPAs above 48 bits get a 5-level table: no aliasing with low addresses', async () => {
    const csv = HEADER + '0,R,0x1000,8\n0,R,0x1000000001000,8\n';
    const r = await replayText(csv, { backing: '4k' }, [
      { gpa: 0, sizeBytes: 1 << 20 },
      { gpa: 2 ** 48, sizeBytes: 1 << 20 },
    ]);
    expect(r.total.faults_missing).toBe(2);
    expect(r.vm.pages_4k).toBe(2);
    // 5 levels: a 4K walk reads 5 entries.
    expect(r.total.walk_refs).toBe(10);
  });
});
