import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size,x_slot\n';
const MiB = 1 << 20;
const SLOT = [{ gpa: 0, sizeBytes: 4 * MiB }];

describe('dirty logging and host events', () => {
  it('DIRTY_LOG_ON write-protects; the first write to each page is a permission fault, the second is not', async () => {
    const csv = HEADER + '0,R,0x0,8,\n0,R,0x1000,8,\n0,DIRTY_LOG_ON,0x0,,0\n0,W,0x0,8,\n0,W,0x0,8,\n0,W,0x1000,8,\n';
    const r = await replayText(csv, { backing: '4k' }, SLOT);
    expect(r.total.faults_missing).toBe(2);
    expect(r.total.faults_permission).toBe(2);
    expect(r.vm.flush_requests).toBe(1);
  });

  it('a write under dirty logging splits a 2M mapping to 512 4K ones and makes one writable', async () => {
    const csv = HEADER + '0,R,0x0,8,\n0,DIRTY_LOG_ON,0x0,,0\n0,W,0x5000,8,\n0,W,0x6000,8,\n';
    const r = await replayText(csv, { backing: '2m', maxLevel: '2m' }, SLOT);
    expect(r.vm.pages_2m).toBe(0);
    expect(r.vm.pages_4k).toBe(512);
    // 0x5000: split + fix; 0x6000: its own read-only 4K leaf, another permission fault.
    expect(r.total.faults_permission).toBe(2);
    // PDPT, PD, then the PT made by the split.
    expect(r.vm.mmu_pages).toBe(3);
  });

  it('DIRTY_LOG_OFF zaps 4K leaves that could be 2M; the next fault maps 2M', async () => {
    const csv = HEADER + '0,DIRTY_LOG_ON,0x0,,0\n0,W,0x0,8,\n0,W,0x1000,8,\n0,DIRTY_LOG_OFF,0x0,,0\n0,R,0x0,8,\n';
    const r = await replayText(csv, { backing: '2m', maxLevel: '2m', dirtyLogOff: 'zap' }, SLOT);
    expect(r.vm.pages_4k).toBe(0);
    expect(r.vm.pages_2m).toBe(1);
    expect(r.total.faults_missing).toBe(3);
  });

  it('UNMAP of part of a 2M mapping zaps it whole; the next access faults again', async () => {
    const csv = HEADER + '0,R,0x0,8,\n0,UNMAP,0x1000,4096,\n0,R,0x100000,8,\n';
    const r = await replayText(csv, { backing: '2m', maxLevel: '2m' }, SLOT);
    expect(r.total.faults_missing).toBe(2);
    expect(r.vm.flush_requests).toBe(1);
    expect(r.vm.tlb_entries_flushed).toBe(1);
  });

  it('SLOT_DEL zaps the slot; an access there afterwards is MMIO', async () => {
    const csv = HEADER + '0,SLOT_ADD,0x0,0x200000,1\n0,R,0x0,8,\n0,SLOT_DEL,0x0,,1\n0,R,0x0,8,\n';
    const r = await replayText(csv, { backing: '4k' });
    expect(r.total.faults_missing).toBe(1);
    expect(r.total.faults_mmio).toBe(1);
    expect(r.vm.pages_4k).toBe(0);
  });
});
