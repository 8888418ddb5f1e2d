import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const SLOT = [{ gpa: 0, sizeBytes: 4 << 20 }];

describe('pKVM: hypercalls and the host-side tree', () => {
  it('protected VM: 4K only, one share hypercall per page, destroy unshares every page', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n0,R,0x1000,8\n0,R,0x200000,8\n', { arch: 'pkvm', backing: '2m' }, SLOT);
    expect(r.vm.pages_4k).toBe(3);
    expect(r.vm.level_clamps).toBe(3);
    expect(r.hypercallsByKind).toEqual({
      host_share_guest: 3,
      host_unshare_guest: 3,
      host_wrprotect_guest: 0,
      host_relax_perms_guest: 0,
      // No remote flush was asked for.
      tlb_flush_vmid: 0,
      // No AGE row.
      host_test_clear_young_guest: 0,
      host_mkyoung_guest: 0,
    });
    expect(r.vm.hypercalls).toBe(6);
  });

  it('UNMAP unshares each mapping in the range; WRPROTECT and a write fault are one hypercall each', async () => {
    const csv = HEADER + '0,W,0x0,8\n0,W,0x1000,8\n0,WRPROTECT,0x0,0x1000\n0,W,0x0,8\n0,UNMAP,0x0,0x2000\n';
    const r = await replayText(csv, { arch: 'pkvm', backing: '4k' }, SLOT);
    expect(r.hypercallsByKind).toEqual({
      host_share_guest: 2,
      host_unshare_guest: 2,
      host_wrprotect_guest: 1,
      host_relax_perms_guest: 1,
      // WRPROTECT's kvm_arch_flush_remote_tlbs_range is __pkvm_tlb_flush_vmid; the UNMAP's TLBIs run at EL2 inside the unshares.
      tlb_flush_vmid: 1,
      host_test_clear_young_guest: 0,
      host_mkyoung_guest: 0,
    });
  });

  it('pkvm-pmd (non-protected VM) maps 2M with one hypercall for the block', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n0,R,0x1000,8\n', { arch: 'pkvm-pmd', backing: '2m' }, SLOT);
    expect(r.vm.pages_2m).toBe(1);
    expect(r.hypercallsByKind?.host_share_guest).toBe(1);
  });

  it('regression (property test): the tree keys a 2M mapping by its first frame, not the faulting one', async () => {
    // Pre-fault at GFN 896 maps the 2M page [512, 1024); a later map at 410 must not overlap it.
    const csv = HEADER + '0,PREFAULT,0x380000,0x7d000\n0,PREFAULT,0x19a000,0x1fa000\n';
    const r = await replayText(csv, { arch: 'pkvm-pmd', backing: '2m' }, [{ gpa: 0, sizeBytes: 1200 * 4096 }], (engine) => {
      const starts: number[] = [];
      engine.vm.mirror!.tree.forEachInRange(0, 2 ** 36, (gfn) => starts.push(gfn));
      expect(starts).toEqual([0, 512]);
      expect(engine.vm.mirror!.eagain).toBe(0);
    });
    expect(r.vm.pages_2m).toBe(2);
  });
});
