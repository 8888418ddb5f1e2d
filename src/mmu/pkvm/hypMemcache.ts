/**
 * pKVM's per-vCPU hypervisor memcache (arch/arm64/kvm/mmu.c, hyp/nvhe/hyp-main.c):
 * the pages EL2 builds the guest's stage-2 tables from, donated by the host.
 *
 * Two caches per vCPU, as upstream:
 * - the host vCPU's `arch.pkvm_memcache`: `user_mem_abort` tops it up before
 *   taking the mmu_lock, for a fault that is not a permission fault or a write
 *   fault under dirty logging (`topup_hyp_memcache(memcache,
 *   kvm_mmu_cache_min_pages(mmu))`: `__topup_hyp_memcache` allocates until it
 *   holds `min_pages`, `kvm_mmu_cache_min_pages` = `kvm_stage2_levels - 1`);
 * - the hyp vCPU's: each `__pkvm_host_share_guest` hypercall first runs
 *   `pkvm_refill_memcache` -> `refill_memcache(hyp_mc, host_mc.nr_pages,
 *   host_mc)`, which moves host pages until the hyp cache holds as many as the
 *   host cache held (`admit_host_page`: a donation to EL2). EL2's
 *   `kvm_pgtable_stage2_map` then takes its new table pages from the hyp cache.
 *
 * `pkvm_memcache_pages` counts the pages moved to EL2 by refills. Example with
 * 4 levels (min 3): the first fault tops up 3, the share moves 3 and its map
 * takes 3 tables; a second fault in the same 2M tops up 3, moves 3, takes 0;
 * a third tops up 3 and moves 0 (the hyp cache holds 3): 6 pages donated.
 */
import type { VmStats } from '../stats.js';

export class HypMemcache {
  /** Pages in the host vCPU's `pkvm_memcache`. */
  hostPages = 0;
  /** Pages in the hyp vCPU's `pkvm_memcache` (EL2). */
  hypPages = 0;

  /** `topup_hyp_memcache(mc, minPages)`: allocate until the host cache holds `minPages`. */
  topUp(minPages: number): void {
    if (this.hostPages < minPages) this.hostPages = minPages;
  }

  /** `pkvm_refill_memcache` before a share hypercall: donate host pages until the hyp cache holds the host cache's count. */
  refill(stats: VmStats): void {
    const moved = Math.max(0, this.hostPages - this.hypPages);
    this.hostPages -= moved;
    this.hypPages += moved;
    stats.pkvm_memcache_pages += moved;
  }

  /** EL2's `kvm_pgtable_stage2_map` took `tables` new table pages from the hyp cache. */
  consume(tables: number): void {
    this.hypPages = Math.max(0, this.hypPages - tables);
  }
}
