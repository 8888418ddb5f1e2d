/**
 * pKVM hyp memcache top-ups (src/mmu/pkvm/hypMemcache.ts). Per vCPU, with a
 * 4-level stage-2 (`kvm_mmu_cache_min_pages` = `kvm_stage2_levels - 1` = 3):
 * `user_mem_abort` tops the host vCPU's memcache up to 3 (`topup_hyp_memcache`)
 * unless the fault is a permission fault outside dirty logging; each
 * `__pkvm_host_share_guest` first runs `pkvm_refill_memcache`, which moves host
 * pages until the hyp cache holds as many as the host cache held
 * (`refill_memcache`, `admit_host_page`); EL2's map takes its tables from it.
 *
 *                   host  hyp   donated  tables taken
 *   vCPU 0 R 0x0      3 -> 0   0 -> 3    +3   3 (1G, 2M, 4K tables) -> hyp 0
 *          R 0x1000   3 -> 0   0 -> 3    +3   0
 *          R 0x2000   3 -> 3   3         +0   0
 *          X 0x2000   permission fault (exec only on exec faults): no top-up, a relax hypercall, no refill
 *          R 0x200000 3        3         +0   1 (a new 4K table) -> hyp 2
 *          R 0x400000 3 -> 2   2 -> 3    +1   1 -> hyp 2
 *   vCPU 1 R 0x600000 its own caches: 3 -> 0, 0 -> 3, +3, 1 table
 * pkvm_memcache_pages = 3 + 3 + 1 + 3 = 10.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const TRACE = 'vcpu,op,gpa,size\n0,R,0x0,8\n0,R,0x1000,8\n0,R,0x2000,8\n0,X,0x2000,4\n0,R,0x200000,8\n0,R,0x400000,8\n1,R,0x600000,8\n';
const SLOT = [{ gpa: 0, sizeBytes: 8 << 20 }];

describe('pKVM hyp memcache: pages donated before share hypercalls (pkvm_memcache_pages)', () => {
  for (const arch of ['pkvm', 'pkvm-pmd'] as const) {
    it(`${arch}: 10 pages donated over 6 shares`, async () => {
      const r = await replayText(TRACE, { arch, backing: '4k' }, SLOT);
      expect(r.vm.pkvm_memcache_pages).toBe(10);
      expect(r.hypercallsByKind?.host_share_guest).toBe(6);
      expect(r.hypercallsByKind?.host_relax_perms_guest).toBe(1);
      // The model's own tables: 3 + 1 + 1 + 1.
      expect(r.vm.mmu_pages).toBe(6);
    });
  }

  it('no donation off pKVM', async () => {
    const r = await replayText(TRACE, { arch: 'arm64', backing: '4k' }, SLOT);
    expect(r.vm.pkvm_memcache_pages).toBe(0);
  });
});
