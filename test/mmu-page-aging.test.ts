/**
 * AGE (op 17): the MMU notifier's `clear_flush_young` -> `kvm_age_gfn`
 * (src/mmu/aging.ts). Trace (4K backing, one vCPU):
 *   R 0x0, R 0x1000          two 4K leaves, young (mapped with AF set)
 *   AGE [0, 0x2000)          both young -> cleared; arm64 flushes once (flush_on_ret)
 *   AGE [0, 0x2000)          both old: no flush
 *   R 0x0                    arm64: the flush dropped the TLB entry, the walk sets AF again;
 *                            x86: the TLB still holds it (no flush), no walk, the leaf stays old
 *   AGE [0, 0x2000)          arm64: one young -> one more flush; x86: none young
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';
import { parseOp, Op } from '../src/trace/ops.js';

const TRACE = 'vcpu,op,gpa,size\n0,R,0x0,8\n0,R,0x1000,8\n0,AGE,0x0,0x2000\n0,AGE,0x0,0x2000\n0,R,0x0,8\n0,AGE,0x0,0x2000\n';
const SLOT = [{ gpa: 0, sizeBytes: 4 << 20 }];

describe('AGE: test and clear young (kvm_age_gfn)', () => {
  it('is op code 17', () => {
    expect(parseOp('AGE')).toBe(Op.AGE);
    expect(Op.AGE as number).toBe(17);
  });

  it('arm64 flushes when a leaf was young (no KVM_ELIDE_TLB_FLUSH_IF_YOUNG): 2 flush requests', async () => {
    const r = await replayText(TRACE, { arch: 'arm64', backing: '4k' }, SLOT);
    expect(r.vm.flush_requests).toBe(2);
    // The R after the first flush misses the TLB and walks (no fault: still mapped).
    expect([r.total.faults_missing, r.total.tlb_misses]).toEqual([2, 3]);
  });

  it('x86 elides the flush (KVM_ELIDE_TLB_FLUSH_IF_YOUNG): no flush, the re-read hits the TLB', async () => {
    const r = await replayText(TRACE, { arch: 'x86-tdp', backing: '4k' }, SLOT);
    expect(r.vm.flush_requests).toBe(0);
    expect([r.total.tlb_hits, r.total.tlb_misses]).toEqual([1, 2]);
  });

  it('pKVM: one __pkvm_host_test_clear_young_guest per mapping per AGE, the flush is __pkvm_tlb_flush_vmid', async () => {
    const r = await replayText(TRACE, { arch: 'pkvm', backing: '4k' }, SLOT);
    // 3 AGEs x 2 mappings = 6 test-and-clear hypercalls; 2 young answers -> 2 VMID flushes; 2 shares; 2 teardown unshares.
    expect(r.hypercallsByKind).toMatchObject({ host_test_clear_young_guest: 6, tlb_flush_vmid: 2, host_share_guest: 2, host_unshare_guest: 2 });
    expect(r.vm.hypercalls).toBe(12);
  });

  it('a zero size is a located trace error', async () => {
    await expect(replayText('vcpu,op,gpa,size\n0,AGE,0x0,0\n', { arch: 'arm64' }, SLOT)).rejects.toThrow(
      /:2: column size: AGE needs a size of at least 1 byte/,
    );
  });
});
