import { describe, expect, it } from 'vitest';
import { TlbArray as Tlb } from '../src/tlb/tlbArray.js';
import { Level } from '../src/mmu/level.js';
import { PERM_READ } from '../src/mmu/entry.js';
import { accessRows, replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const page = (n: number): number => n * 4096;

describe('TLB (LRU)', () => {
  it('fully associative, 2 entries: A B A C B A gives 1 hit and 5 misses', async () => {
    // A miss [A]; B miss [A,B]; A hit (B is LRU); C miss evicts B [A,C];
    // B miss evicts A [C,B]; A miss evicts C [B,A].
    const seq = [0, 1, 0, 2, 1, 0].map(page);
    const r = await replayText(HEADER + accessRows('R', seq), { backing: '4k', tlbEntries: '2', tlbWays: '2' });
    expect(r.total.tlb_hits).toBe(1);
    expect(r.total.tlb_misses).toBe(5);
    expect(r.total.faults).toBe(3);
  });

  it('4 entries in 2 sets of 2 ways: pages 0, 2, 4 share set 0 and evict each other; page 1 stays', async () => {
    // 1 miss (set 1); 0 miss, 2 miss (set 0 full); 4 miss evicts 0; 0 miss evicts 2; 1 hit.
    const seq = [1, 0, 2, 4, 0, 1].map(page);
    const r = await replayText(HEADER + accessRows('R', seq), { backing: '4k', tlbEntries: '4', tlbWays: '2' });
    expect(r.total.tlb_misses).toBe(5);
    expect(r.total.tlb_hits).toBe(1);
  });

  it('one 2M entry serves 512 different 4K pages', async () => {
    const seq = Array.from({ length: 512 }, (_, i) => page(i));
    const r = await replayText(HEADER + accessRows('R', seq), { backing: '2m', maxLevel: '2m', tlbEntries: '1', tlbWays: '1' });
    expect(r.total.tlb_misses).toBe(1);
    expect(r.total.tlb_hits).toBe(511);
  });

  it('range flush drops only entries overlapping the range', () => {
    const tlb = new Tlb(8, 8);
    tlb.fill(0, Level.L4K, PERM_READ);
    tlb.fill(1, Level.L4K, PERM_READ);
    tlb.fill(512, Level.L2M, PERM_READ);
    expect(tlb.flushRange(1, 600)).toBe(2);
    expect(tlb.lookup(0)).toBe(Level.L4K);
    expect(tlb.lookup(1)).toBe(0);
    expect(tlb.lookup(700)).toBe(0);
    expect(tlb.validEntries()).toBe(1);
  });

  it('a write that hits a read-only entry counts as a miss and a permission fault', async () => {
    const csv = HEADER + '0,R,0x0,8\n0,WRPROTECT,0x0,4096\n0,R,0x0,8\n0,W,0x0,8\n0,W,0x0,8\n';
    const r = await replayText(csv, { backing: '4k' });
    // R miss+fault; flush; R miss (refill, read-only); W hits a read-only entry: miss + permission fault; W hit.
    expect(r.total.tlb_misses).toBe(3);
    expect(r.total.tlb_hits).toBe(1);
    expect(r.total.faults_missing).toBe(1);
    expect(r.total.faults_permission).toBe(1);
  });
});
