import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const SLOT = [{ gpa: 0, sizeBytes: 4 << 20 }];
const NX = { backing: '2m', maxLevel: '2m', nxHugePages: 'on' };

describe('NX huge pages (x86 nx_huge_pages)', () => {
  it('an exec fault maps 4K where 2M was allowed, and flags the new page table', async () => {
    const r = await replayText(HEADER + '0,X,0x1000,4\n', NX, SLOT);
    expect(r.vm.pages_4k).toBe(1);
    expect(r.vm.pages_2m).toBe(0);
    expect(r.vm.nx_lpage_splits).toBe(1);
  });

  it('a later read fault in that 2M region stays 4K (disallowed_hugepage_adjust)', async () => {
    const r = await replayText(HEADER + '0,X,0x1000,4\n0,R,0x5000,8\n', NX, SLOT);
    expect(r.vm.pages_4k).toBe(2);
    expect(r.vm.pages_2m).toBe(0);
    expect(r.total.faults_missing).toBe(2);
  });

  it('exec in a 2M mapping made by a read splits it to 512 4K leaves: one permission fault', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n0,X,0x3000,4\n0,X,0x3004,4\n', NX, SLOT);
    expect(r.vm.pages_2m).toBe(0);
    expect(r.vm.pages_4k).toBe(512);
    expect(r.total.faults_missing).toBe(1);
    expect(r.total.faults_permission).toBe(1);
    expect(r.vm.nx_lpage_splits).toBe(1);
  });

  it('with NX huge pages off an exec fault maps 2M', async () => {
    const r = await replayText(HEADER + '0,X,0x1000,4\n', { ...NX, nxHugePages: 'off' }, SLOT);
    expect(r.vm.pages_2m).toBe(1);
    expect(r.vm.nx_lpage_splits).toBe(0);
  });
});
