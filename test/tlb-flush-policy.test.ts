import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const SLOT = [{ gpa: 0, sizeBytes: 64 << 20 }];
// Four 4K pages touched by vCPU 0, then the host unmaps the second one.
const TOUCH = HEADER + '0,R,0x0,8\n0,R,0x1000,8\n0,R,0x2000,8\n0,R,0x3000,8\n0,UNMAP,0x1000,0x1000\n';
const RETOUCH = '0,R,0x0,8\n0,R,0x2000,8\n0,R,0x3000,8\n';

describe('flush policy and its cost', () => {
  it('x86 bare metal: a full flush drops all 4 entries, 3 of them collateral, and those 3 refill', async () => {
    const r = await replayText(TOUCH + RETOUCH, { backing: '4k' }, SLOT);
    expect(r.vm.flush_requests).toBe(1);
    expect(r.vm.flushes_full).toBe(1);
    expect(r.vm.flushes_range).toBe(0);
    expect(r.vm.tlb_entries_flushed).toBe(4);
    expect(r.vm.tlb_entries_flushed_collateral).toBe(3);
    expect(r.vm.flush_ipis).toBe(1);
    expect(r.total.refill_misses).toBe(3);
  });

  it('x86 with the Hyper-V range flush: an MMU-notifier unmap is still a full flush (kvm_flush_remote_tlbs)', async () => {
    const r = await replayText(TOUCH, { backing: '4k', rangeFlush: 'hyperv' }, SLOT);
    expect(r.vm.flushes_full).toBe(1);
  });

  it('x86 with the Hyper-V range flush: write-protection drops only its range; no collateral, no refill', async () => {
    const csv = HEADER + '0,R,0x0,8\n0,R,0x1000,8\n0,R,0x2000,8\n0,R,0x3000,8\n0,WRPROTECT,0x1000,0x1000\n' + RETOUCH;
    const r = await replayText(csv, { backing: '4k', rangeFlush: 'hyperv' }, SLOT);
    expect(r.vm.flushes_range).toBe(1);
    expect(r.vm.flushes_full).toBe(0);
    expect(r.vm.tlb_entries_flushed).toBe(1);
    expect(r.vm.tlb_entries_flushed_collateral).toBe(0);
    expect(r.vm.flush_ipis).toBe(0);
    expect(r.total.refill_misses).toBe(0);
    expect(r.total.tlb_hits).toBe(3);
  });

  it('--flush-mode full on arm64 overrides its TLBI range', async () => {
    const r = await replayText(TOUCH, { arch: 'arm64', backing: '4k', flushMode: 'full' }, SLOT);
    expect(r.vm.flushes_full).toBe(1);
    expect(r.vm.flush_ipis).toBe(0);
  });

  it('arm64 splits a range above MAX_TLBI_RANGE_PAGES (8 GiB) into TLBI range chunks', async () => {
    // Pages at 0 and 12 GiB lose WRITE: the request spans 12 GiB + 4 KiB = 3145729 pages,
    // ceil(3145729 / 2^21) = 2 TLBI range operations (kvm_tlb_flush_vmid_range). (An UNMAP
    // would not: stage2_apply_range cuts it into 1 GiB chunks, test/mmu-arm64-unmap-flushes.)
    const csv = HEADER + '0,R,0x0,8\n0,R,0x300000000,8\n0,WRPROTECT,0x0,0x500000000\n';
    const r = await replayText(csv, { arch: 'arm64', backing: '4k' }, [{ gpa: 0, sizeBytes: 0x500000000 }]);
    expect(r.vm.flush_requests).toBe(1);
    expect(r.vm.flushes_range).toBe(2);
    expect(r.vm.tlb_entries_flushed).toBe(2);
  });

  it('arm64 without FEAT_TLBIRANGE: a range flush (write-protection) is a whole-VMID flush', async () => {
    const csv = HEADER + '0,R,0x0,8\n0,R,0x1000,8\n0,R,0x2000,8\n0,R,0x3000,8\n0,WRPROTECT,0x1000,0x1000\n';
    const r = await replayText(csv, { arch: 'arm64', backing: '4k', tlbiRange: 'off' }, SLOT);
    expect(r.vm.flushes_full).toBe(1);
    expect(r.vm.tlb_entries_flushed_collateral).toBe(3);
  });
});
