import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const GIB = [{ gpa: 0, sizeBytes: 1 << 30 }];

describe('page-walk references', () => {
  it('a 4-level stage-2 walk reads 4 entries for a 4K leaf, 3 for 2M, 2 for 1G', async () => {
    const refs = async (backing: string): Promise<number> => (await replayText(HEADER + '0,R,0x0,8\n', { backing, maxLevel: '1g' }, GIB)).total.walk_refs;
    expect(await refs('4k')).toBe(4);
    expect(await refs('2m')).toBe(3);
    expect(await refs('1g')).toBe(2);
  });

  it('TLB hits make no walk', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n0,R,0x8,8\n', { backing: '4k' }, GIB);
    expect(r.total.walk_refs).toBe(4);
  });

  it('with paging-structure caches, a second walk in the same 2 MiB reads only the PTE', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n0,R,0x1000,8\n', { backing: '4k', pwc: 'on' }, GIB);
    expect(r.total.walk_refs).toBe(4 + 1);
  });

  it('2D walk, 4-level guest over 4K stage-2: 24 references; the guest tables fault once each', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n0,R,0x1000,8\n', { backing: '4k', guestLevels: '4' }, GIB);
    expect(r.total.walk_refs).toBe(24 + 24);
    // Root, PDPT, PD and the PT for the first 2 MiB: four stage-2 faults, not in `faults`.
    expect(r.total.faults_pt).toBe(4);
    expect(r.total.faults).toBe(2);
  });

  it('2D walk over 2M stage-2 leaves: 4 x (3 + 1) + 3 = 19 references', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n', { backing: '2m', maxLevel: '2m', guestLevels: '4' }, GIB);
    expect(r.total.walk_refs).toBe(19);
    // All four guest table pages sit in the slot's last 2 MiB: one stage-2 fault maps them.
    expect(r.total.faults_pt).toBe(1);
  });

  it('a skylake TLB counts L1 and L2 misses: an L2 hit refills L1', async () => {
    // 65 distinct 4K pages overflow one 4-way set of the 64-entry L1 DTLB (16 sets):
    // pages 0,16,32,48,64 share set 0; the 1536-entry STLB keeps them all.
    const pages = [0, 16, 32, 48, 64, 0];
    const csv = HEADER + pages.map((p) => `0,R,0x${(p * 4096).toString(16)},8`).join('\n') + '\n';
    const r = await replayText(csv, { backing: '4k', tlb: 'skylake' }, GIB);
    expect(r.total.tlb_misses).toBe(5);
    expect(r.total.l2_misses).toBe(5);
    expect(r.total.l1_misses).toBe(6);
    expect(r.total.tlb_hits).toBe(1);
  });
});
