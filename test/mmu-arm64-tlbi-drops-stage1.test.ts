/**
 * arm64 stage-2 range TLBIs drop all of stage 1: `__kvm_tlb_flush_vmid_ipa`
 * and `__kvm_tlb_flush_vmid_range` (arch/arm64/kvm/hyp/nvhe/tlb.c and
 * hyp/vhe/tlb.c) follow `TLBI IPAS2E1IS` with `TLBI VMALLE1IS`. Our TLB
 * entries are combined stage-1 + stage-2 translations, so every arm64 range
 * flush drops every entry of the VM on every vCPU; it still counts as one
 * range operation, and the entries outside the range are collateral.
 *
 * The trace of docs/model.md's flush-policy table: 4 KiB backing, vCPU 0
 * reads pages 0-3, vCPU 1 reads page 0 (5 TLB entries, 4 faults: vCPU 1
 * finds page 0 mapped), the host changes page 1, then the same five reads.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const READS = '0,R,0x0,8\n0,R,0x1000,8\n0,R,0x2000,8\n0,R,0x3000,8\n1,R,0x0,8\n';
const SLOT = [{ gpa: 0, sizeBytes: 0x4000000 }];

describe('arm64 stage-2 TLBI is followed by TLBI VMALLE1IS', () => {
  for (const event of ['UNMAP', 'WRPROTECT']) {
    it(`${event} of one page: one range operation that drops all 5 entries on both vCPUs`, async () => {
      const csv = HEADER + READS + `0,${event},0x1000,0x1000\n` + READS;
      const r = await replayText(csv, { arch: 'arm64', backing: '4k' }, SLOT);
      // Counted as the range TLBI it is: one range operation, no full flush, no IPI (broadcast TLBI).
      expect([r.vm.flush_requests, r.vm.flushes_range, r.vm.flushes_full, r.vm.flush_ipis]).toEqual([1, 1, 0, 0]);
      // VMALLE1IS: all 5 entries; only vCPU 0's page-1 entry overlaps the range, 4 are collateral.
      expect([r.vm.tlb_entries_flushed, r.vm.tlb_entries_flushed_collateral]).toEqual([5, 4]);
      // The 4 collateral entries still matched the stage-2: their next misses are refills.
      expect(r.total.refill_misses).toBe(4);
      // No hit after the flush: every one of the 5 reads misses.
      expect(r.total.tlb_hits).toBe(0);
      expect(r.vcpus.map((v) => v.tlb_flushes)).toEqual([1, 1]);
      // UNMAP: page 1 faults again (4 + 1); WRPROTECT: a read needs no fault.
      expect(r.total.faults_missing).toBe(event === 'UNMAP' ? 5 : 4);
    });
  }

  it('--tlbi-range off: write-protection is a full VMID flush, the same entries dropped, counted as full', async () => {
    const r = await replayText(HEADER + READS + '0,WRPROTECT,0x1000,0x1000\n' + READS, { arch: 'arm64', backing: '4k', tlbiRange: 'off' }, SLOT);
    expect([r.vm.flushes_range, r.vm.flushes_full]).toEqual([0, 1]);
    expect([r.vm.tlb_entries_flushed, r.vm.tlb_entries_flushed_collateral, r.total.refill_misses]).toEqual([5, 4, 4]);
  });

  it('x86 with a range flush (Hyper-V) drops only the range', async () => {
    const r = await replayText(HEADER + READS + '0,WRPROTECT,0x1000,0x1000\n' + READS, { backing: '4k', rangeFlush: 'hyperv' }, SLOT);
    expect([r.vm.flushes_range, r.vm.tlb_entries_flushed, r.vm.tlb_entries_flushed_collateral, r.total.tlb_hits]).toEqual([1, 1, 0, 4]);
  });
});
