/**
 * docs/model.md "pKVM: hypercalls", run as written: one vCPU,
 * `--memslot 0x0:0x800000`, backing 2m, `--arch pkvm,pkvm-pmd`. The numbers are
 * the doc's table (seed 000's 4K and upstream's 2M blocks), including the hyp
 * memcache donations: pkvm 3 + 3 (the third fault finds the hyp cache full),
 * pkvm-pmd 3 + 2 (the first map took 2 tables, the 1G and 2M levels).
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const TRACE =
  'vcpu,op,gpa,size\n0,R,0x0,8\n0,R,0x1000,8\n0,W,0x200000,8\n0,WRPROTECT,0x0,0x2000\n0,W,0x0,8\n0,UNMAP,0x200000,0x1000\n0,PREFAULT,0x400000,0x1000\n';
const SLOT = [{ gpa: 0, sizeBytes: 0x800000 }];

describe('docs/model.md pKVM worked example', () => {
  it('pkvm (seed 000, 4K)', async () => {
    const r = await replayText(TRACE, { arch: 'pkvm', backing: '2m' }, SLOT);
    expect(r.hypercallsByKind).toMatchObject({
      host_share_guest: 3,
      host_unshare_guest: 3,
      host_wrprotect_guest: 2,
      host_relax_perms_guest: 1,
      tlb_flush_vmid: 1,
    });
    expect([r.vm.hypercalls, r.vm.pkvm_memcache_pages, r.vm.pages_4k, r.vm.level_clamps]).toEqual([10, 6, 2, 3]);
    expect([r.total.faults, r.total.faults_missing, r.total.faults_permission, r.total.walk_refs]).toEqual([4, 3, 1, 16]);
  });

  it('pkvm-pmd (upstream, 2M blocks)', async () => {
    const r = await replayText(TRACE, { arch: 'pkvm-pmd', backing: '2m' }, SLOT);
    expect(r.hypercallsByKind).toMatchObject({
      host_share_guest: 3,
      host_unshare_guest: 3,
      host_wrprotect_guest: 1,
      host_relax_perms_guest: 1,
      tlb_flush_vmid: 1,
    });
    expect([r.vm.hypercalls, r.vm.pkvm_memcache_pages, r.vm.pages_2m]).toEqual([9, 5, 2]);
    expect([r.total.faults, r.total.faults_missing, r.total.faults_permission, r.total.walk_refs]).toEqual([3, 2, 1, 9]);
  });
});
