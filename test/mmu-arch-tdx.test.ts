import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const SHARED_BIT = 2 ** 47;
const hex = (n: number): string => '0x' + n.toString(16);
const PRIVATE_SLOT = [{ gpa: 0, sizeBytes: 4 << 20, private: true }];
const TDX = { arch: 'x86-tdx', backing: '2m', maxLevel: '2m' };

describe('x86-tdx: private memory and the shared bit', () => {
  it('private memory maps 4K only (S-EPT), the 2M the slot allowed is clamped', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n0,R,0x1000,8\n', TDX, PRIVATE_SLOT);
    expect(r.vm.pages_4k).toBe(2);
    expect(r.vm.pages_private).toBe(2);
    expect(r.vm.level_clamps).toBe(2);
  });

  it('a private GFN through the shared alias takes the MMIO path and maps nothing', async () => {
    const r = await replayText(HEADER + `0,R,${hex(SHARED_BIT)},8\n`, TDX, PRIVATE_SLOT);
    expect(r.total.faults_mmio).toBe(1);
    expect(r.vm.pages_4k + r.vm.pages_2m).toBe(0);
  });

  it('after SET_SHARED the shared alias maps 2M in its own table; the private alias exits', async () => {
    const csv = HEADER + '0,SET_SHARED,0x0,0x200000\n' + `0,R,${hex(SHARED_BIT + 0x1000)},8\n` + '0,R,0x1000,8\n';
    const r = await replayText(csv, TDX, PRIVATE_SLOT);
    expect(r.vm.pages_2m).toBe(1);
    expect(r.vm.pages_shared).toBe(1);
    expect(r.total.faults_missing).toBe(1);
    expect(r.total.faults_mmio).toBe(1);
    // Private and shared aliases each had their own tables: PDPT + PD under the shared root.
    expect(r.vm.mmu_pages).toBe(2);
  });

  it('SET_SHARED zaps the private mapping of the range', async () => {
    const csv = HEADER + '0,R,0x0,8\n0,SET_SHARED,0x0,0x1000\n';
    const r = await replayText(csv, TDX, PRIVATE_SLOT);
    expect(r.vm.pages_private).toBe(0);
    expect(r.vm.flush_requests).toBe(1);
  });

  it('pre-fault of an aliased GPA is EINVAL; of a shared GFN it maps through the shared alias', async () => {
    const csv = HEADER + `0,PREFAULT,${hex(SHARED_BIT)},4096\n` + '0,SET_SHARED,0x200000,0x200000\n0,PREFAULT,0x200000,4096\n';
    const r = await replayText(csv, TDX, PRIVATE_SLOT);
    expect(r.prefaultCalls.map((c) => c.result)).toEqual([-22, 0]);
    expect(r.vm.pages_2m).toBe(1);
    expect(r.vm.pages_shared).toBe(1);
  });

  it('the default memslot is private (guest_memfd) and ignores the shared bit when sizing itself', async () => {
    const r = await replayText(HEADER + '0,R,0x1000,8\n' + `0,R,${hex(SHARED_BIT + 0x1000)},8\n`, TDX);
    expect(r.total.faults_missing).toBe(1);
    expect(r.vm.pages_private).toBe(1);
    // The same GFN through the shared alias: private memory is not visible there.
    expect(r.total.faults_mmio).toBe(1);
  });
});
