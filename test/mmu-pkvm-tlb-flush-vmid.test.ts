/**
 * pKVM remote flushes are a hypercall: on a pKVM host
 * (`is_protected_kvm_enabled()`), `kvm_arch_flush_remote_tlbs` and
 * `kvm_arch_flush_remote_tlbs_range` (arch/arm64/kvm/mmu.c) both call
 * `__pkvm_tlb_flush_vmid`: a full flush of the VMID whatever the range,
 * counted in `hypercalls` and as `tlb_flush_vmid` in hypercallsByKind. The
 * TLBIs EL2 issues itself inside an unshare (`kvm_pgtable_stage2_unmap` at
 * EL2) are no extra hypercall and stay range operations.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const SLOT = [{ gpa: 0, sizeBytes: 0x800000 }];
// Three 4K leaves; WRPROTECT page 1 (kvm_arch_flush_remote_tlbs_range); read page 0 again; UNMAP page 2 (an unshare).
const CSV = HEADER + '0,R,0x0,8\n0,R,0x1000,8\n0,R,0x2000,8\n0,WRPROTECT,0x1000,0x1000\n0,R,0x0,8\n0,UNMAP,0x2000,0x1000\n';

describe('pKVM: kvm_arch_flush_remote_tlbs[_range] is __pkvm_tlb_flush_vmid', () => {
  for (const arch of ['pkvm', 'pkvm-pmd']) {
    it(`${arch}: write-protection's range flush is one hypercall and a full VMID flush; the unshare's TLBI is a range op`, async () => {
      // backing 4k: both profiles map 4K leaves here.
      const r = await replayText(CSV, { arch, backing: '4k' }, SLOT);
      // 3 shares, 1 wrprotect, 1 tlb_flush_vmid, 1 unshare (UNMAP), 2 unshares at teardown.
      expect(r.hypercallsByKind).toEqual({
        host_share_guest: 3,
        host_unshare_guest: 3,
        host_wrprotect_guest: 1,
        host_relax_perms_guest: 0,
        tlb_flush_vmid: 1,
        host_test_clear_young_guest: 0,
        host_mkyoung_guest: 0,
      });
      expect(r.vm.hypercalls).toBe(8);
      // WRPROTECT: full (flushes_full), whatever the range; UNMAP: EL2's own deferred range TLBI over the leaf.
      expect([r.vm.flush_requests, r.vm.flushes_full, r.vm.flushes_range, r.vm.flush_ipis]).toEqual([2, 1, 1, 0]);
      // Full flush: 3 entries, 2 outside page 1. Then the read of page 0 refills it (a refill miss);
      // the UNMAP's TLBI (+ VMALLE1IS) drops that 1 entry, outside page 2.
      expect([r.vm.tlb_entries_flushed, r.vm.tlb_entries_flushed_collateral]).toEqual([4, 3]);
      expect(r.total.refill_misses).toBe(1);
      expect(r.total.faults_missing).toBe(3);
    });
  }

  it('--flush-mode range does not make the hypercall a range flush (it takes a handle, no range)', async () => {
    const r = await replayText(CSV, { arch: 'pkvm', backing: '4k', flushMode: 'range' }, SLOT);
    expect([r.vm.flushes_full, r.vm.flushes_range]).toEqual([1, 1]);
  });

  it('arm64 without pKVM: the same write-protection is kvm_tlb_flush_vmid_range, no hypercall', async () => {
    const r = await replayText(CSV, { arch: 'arm64', backing: '4k' }, SLOT);
    expect(r.vm.hypercalls).toBe(0);
    expect([r.vm.flushes_full, r.vm.flushes_range]).toEqual([0, 2]);
  });
});
