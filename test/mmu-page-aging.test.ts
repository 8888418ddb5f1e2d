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
import { parseMatrix } from '../src/replay/parseMatrix.js';

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

  it('arm64 --hw-af off: each access whose walk finds an aged leaf takes an access-flag fault (handle_access_fault)', async () => {
    // R 0x0, R 0x1000, AGE (young: flush), R 0x0 and R 0x1000 miss the TLB: 2 access-flag faults,
    // then AGE (both young again: flush). pKVM: each fault is one __pkvm_host_mkyoung_guest.
    const csv = 'vcpu,op,gpa,size\n0,R,0x0,8\n0,R,0x1000,8\n0,AGE,0x0,0x2000\n0,R,0x0,8\n0,R,0x1000,8\n0,R,0x0,8\n0,AGE,0x0,0x2000\n';
    const arm = await replayText(csv, { arch: 'arm64', backing: '4k', hwAf: 'off' }, SLOT);
    expect([arm.total.faults_access, arm.total.faults_missing, arm.total.faults]).toEqual([2, 2, 4]);
    expect(arm.vm.flush_requests).toBe(2);
    const hw = await replayText(csv, { arch: 'arm64', backing: '4k' }, SLOT);
    expect(hw.total.faults_access).toBe(0);
    const pkvm = await replayText(csv, { arch: 'pkvm', backing: '4k', hwAf: 'off' }, SLOT);
    expect(pkvm.hypercallsByKind).toMatchObject({ host_mkyoung_guest: 2, host_test_clear_young_guest: 4, tlb_flush_vmid: 2 });
  });

  it('--hw-af: a bad value is one message; x86 collapses to on (EPT A/D bits)', () => {
    expect(() => parseMatrix({ hwAf: 'maybe' })).toThrow('--hw-af: "maybe" is not one of on, off');
    expect(parseMatrix({ arch: 'x86-tdp', hwAf: 'off', prefault: 'none' }).map((sc) => sc.hwAf)).toEqual([true]);
    expect(parseMatrix({ arch: 'arm64', hwAf: 'off', prefault: 'none' })[0].name).toContain('hw-af=off');
  });

  it('a zero size is a located trace error', async () => {
    await expect(replayText('vcpu,op,gpa,size\n0,AGE,0x0,0\n', { arch: 'arm64' }, SLOT)).rejects.toThrow(
      /:2: column size: AGE needs a size of at least 1 byte/,
    );
  });
});
