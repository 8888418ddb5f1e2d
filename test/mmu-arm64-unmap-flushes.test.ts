/**
 * arm64 unmap TLB maintenance (arch/arm64/kvm/hyp/pgtable.c, mmu.c):
 * `kvm_stage2_unmap_range` -> `stage2_apply_range(kvm_pgtable_stage2_unmap)`
 * in 1 GiB chunks (`stage2_range_addr_end`, `KVM_PGTABLE_MIN_BLOCK_LEVEL`).
 * With `stage2_unmap_defer_tlb_flush()` (FEAT_TLBIRANGE and FWB) each chunk
 * ends with one `kvm_tlb_flush_vmid_range` over the chunk, even where nothing
 * was mapped; otherwise `stage2_unmap_put_pte` issues one
 * `__kvm_tlb_flush_vmid_ipa` per leaf and there is no VMID flush. Breaking a
 * block on a fault is one single-IPA TLBI (`stage2_try_break_pte`). pKVM
 * unshares mapping by mapping (`__pkvm_host_unshare_guest`): a flush per leaf.
 * 4 KiB backing unless said: every fault maps one 4K leaf.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size,x_slot\n';
const GiB = 0x40000000;
// Three leaves: 0x0, 0x1000 in the first GiB, 0x40000000 in the second; the slot is 3 GiB.
const SLOT = [{ gpa: 0, sizeBytes: 3 * GiB }];
const TOUCH = HEADER + '0,R,0x0,8,\n0,R,0x1000,8,\n0,R,0x40000000,8,\n';
// Unmap the whole 3 GiB: chunks [0, 1G), [1G, 2G), [2G, 3G).
const UNMAP_ALL = TOUCH + '0,UNMAP,0x0,0xc0000000,\n';

describe('arm64 stage-2 unmap flushes', () => {
  it('FEAT_TLBIRANGE and FWB (defaults): one deferred range flush per 1 GiB chunk, the empty third chunk included', async () => {
    const r = await replayText(UNMAP_ALL, { arch: 'arm64', backing: '4k' }, SLOT);
    expect(r.vm.pages_4k).toBe(0);
    // 3 chunks of 262144 pages: 3 requests, one TLBI range operation each (262144 < 2^21).
    expect([r.vm.flush_requests, r.vm.flushes_range, r.vm.flushes_full]).toEqual([3, 3, 0]);
    // The first flush (VMALLE1IS) drops all 3 entries, the 0x40000000 one outside its chunk; the others drop none.
    expect([r.vm.tlb_entries_flushed, r.vm.tlb_entries_flushed_collateral]).toEqual([3, 1]);
    expect(r.total.tlb_flushes).toBe(3);
  });

  it('without FEAT_TLBIRANGE: one __kvm_tlb_flush_vmid_ipa per leaf, no VMID flush', async () => {
    const r = await replayText(UNMAP_ALL, { arch: 'arm64', backing: '4k', tlbiRange: 'off' }, SLOT);
    // 3 leaves: 3 single-IPA operations, counted as ranges of one leaf; nothing for the empty chunk.
    expect([r.vm.flush_requests, r.vm.flushes_range, r.vm.flushes_full]).toEqual([3, 3, 0]);
    expect(r.vm.tlb_entries_flushed).toBe(3);
  });

  it('without FWB (CMOs in the walker): no deferral either, one IPA TLBI per leaf', async () => {
    const csv = TOUCH + '0,UNMAP,0x0,0x2000,\n';
    const r = await replayText(csv, { arch: 'arm64', backing: '4k', fwb: 'off' }, SLOT);
    // Two leaves in [0, 0x2000): 2 operations; the deferred flush would have been 1.
    expect([r.vm.flush_requests, r.vm.flushes_range]).toEqual([2, 2]);
    const deferred = await replayText(csv, { arch: 'arm64', backing: '4k' }, SLOT);
    expect([deferred.vm.flush_requests, deferred.vm.flushes_range]).toEqual([1, 1]);
  });

  it('an unmap of nothing still flushes its chunk when deferred (the walk does not know)', async () => {
    const r = await replayText(HEADER + '0,UNMAP,0x80000000,0x1000,\n', { arch: 'arm64', backing: '4k' }, SLOT);
    expect([r.vm.flush_requests, r.vm.flushes_range]).toEqual([1, 1]);
    const perLeaf = await replayText(HEADER + '0,UNMAP,0x80000000,0x1000,\n', { arch: 'arm64', backing: '4k', tlbiRange: 'off' }, SLOT);
    expect(perLeaf.vm.flush_requests).toBe(0);
  });

  it('breaking a block is one single-IPA TLBI, with or without FEAT_TLBIRANGE', async () => {
    // 2M backing: R maps a 2M block; dirty logging on; a write needs 4K: break the block (one IPA TLBI), map 4K.
    const csv = HEADER + '0,R,0x0,8,\n0,DIRTY_LOG_ON,0x0,,0\n0,W,0x1000,8,\n';
    for (const tlbiRange of ['on', 'off']) {
      const r = await replayText(csv, { arch: 'arm64', backing: '2m', tlbiRange }, SLOT);
      // Requests: the write-protection of the block (range flush: full without TLBIRANGE), then the break.
      expect(r.vm.flush_requests).toBe(2);
      expect([r.vm.flushes_range, r.vm.flushes_full]).toEqual(tlbiRange === 'on' ? [2, 0] : [1, 1]);
      expect([r.vm.pages_2m, r.vm.pages_4k]).toEqual([0, 1]);
    }
  });

  it('pKVM unshares mapping by mapping: one flush per leaf, no empty chunks', async () => {
    const r = await replayText(UNMAP_ALL, { arch: 'pkvm', backing: '4k' }, SLOT);
    expect([r.vm.flush_requests, r.vm.flushes_range]).toEqual([3, 3]);
  });
});
