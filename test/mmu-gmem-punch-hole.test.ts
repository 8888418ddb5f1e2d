/**
 * Invalidations by attribute filter (`kvm_gfn_range_filter_to_root_types`,
 * arch/x86/kvm/mmu/tdp_mmu.h). With a mirror root for private memory (TDX):
 * the MMU notifier (`__kvm_handle_hva_range`, `KVM_FILTER_SHARED`: HVA-based,
 * private memory has no userspace mapping) zaps only shared mappings, and a
 * guest_memfd hole punch (`kvm_gmem_punch_hole` -> `kvm_gmem_invalidate_begin`,
 * `KVM_FILTER_PRIVATE`) only private ones. With one direct root (x86-tdp) both
 * reach every leaf of the range.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const MiB = 1 << 20;
// x86-tdx, one 4 MiB guest_memfd slot (2 MiB backing). Page 0x1000 read private (4K leaf in the private alias);
// [2 MiB, 4 MiB) converted to shared and read through the shared alias (bit 47): a 2M leaf there.
const TDX_SETUP = HEADER + '0,R,0x1000,8\n0,SET_SHARED,0x200000,0x200000\n0,R,0x800000200000,8\n';
const TDX = { arch: 'x86-tdx' };
const TDX_SLOT = [{ gpa: 0, sizeBytes: 4 * MiB }];

describe('MMU-notifier unmaps shared mappings only; GMEM_PUNCH_HOLE private ones', () => {
  it('x86-tdx UNMAP over both: the shared leaf goes, the private one stays', async () => {
    const csv = TDX_SETUP + '0,UNMAP,0x0,0x400000\n0,R,0x1000,8\n0,R,0x800000200000,8\n';
    const r = await replayText(csv, TDX, TDX_SLOT);
    // 2 faults, then only the shared read faults again: 3. One flush (full on x86), for the shared zap.
    expect([r.total.faults_missing, r.vm.flush_requests, r.vm.pages_private, r.vm.pages_shared]).toEqual([3, 1, 1, 1]);
  });

  it('x86-tdx GMEM_PUNCH_HOLE over both: the private leaf goes, the shared one stays', async () => {
    const csv = TDX_SETUP + '0,GMEM_PUNCH_HOLE,0x0,0x400000\n0,R,0x1000,8\n0,R,0x800000200000,8\n';
    const r = await replayText(csv, TDX, TDX_SLOT);
    expect([r.total.faults_missing, r.vm.flush_requests, r.vm.pages_private, r.vm.pages_shared]).toEqual([3, 1, 1, 1]);
    // The private page faulted again (the last private leaf is the re-fault's).
    expect(r.vm.pages_4k).toBe(1);
  });

  it('x86-tdp (one direct root): UNMAP zaps a private leaf too', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n0,UNMAP,0x0,0x1000\n0,R,0x0,8\n', { backing: '4k' }, [{ gpa: 0, sizeBytes: 4 * MiB, private: true }]);
    expect([r.total.faults_missing, r.vm.flush_requests]).toEqual([2, 1]);
  });

  it('GMEM_PUNCH_HOLE of an ordinary slot does nothing (no guest_memfd is bound there)', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n0,GMEM_PUNCH_HOLE,0x0,0x1000\n0,R,0x0,8\n', { backing: '4k' }, [{ gpa: 0, sizeBytes: 4 * MiB }]);
    expect([r.total.faults_missing, r.vm.flush_requests, r.total.tlb_hits]).toEqual([1, 0, 1]);
  });

  it('GMEM_PUNCH_HOLE needs a size (op code 16)', async () => {
    await expect(replayText(HEADER + '0,GMEM_PUNCH_HOLE,0x0,\n', {})).rejects.toThrow('test.csv:2: column size: GMEM_PUNCH_HOLE needs a size in bytes');
  });
});
