/**
 * pKVM's host side (seed 000; arch/arm64/kvm/pkvm.c): the host kernel may
 * not write a protected guest's stage-2, so every change is a hypercall to
 * EL2, and the host mirrors the mappings in a tree ordered by GFN
 * (`struct pkvm_mapping`, walked in order by `for_each_mapping_in_range_safe`).
 *
 * The mirror follows the model's stage-2 through its leaf changes and counts
 * one hypercall per mapping per operation, by kind:
 * - a leaf appears: `__pkvm_host_share_guest` (tree insert);
 * - a leaf disappears: `__pkvm_host_unshare_guest` (tree remove);
 * - write permission removed: `__pkvm_host_wrprotect_guest`;
 * - a permission added: `__pkvm_host_relax_perms_guest`;
 * - a remote TLB flush (`kvm_arch_flush_remote_tlbs[_range]`): `__pkvm_tlb_flush_vmid`
 *   (`PkvmFlushSink`).
 * A map of a GFN the tree already holds is what a racing vCPU sees: the
 * hypercall fails (-EPERM) and the map returns -EAGAIN (`pkvm_pgtable_stage2_map`),
 * counted in `eagain`. The sequential replay never asks for it: the stage-2
 * table maps a GFN once.
 *
 * The tree is `GfnTree` (AVL over typed arrays): O(log n) insert, remove and
 * lookup, in-order range walks.
 */
import { type Level, pagesPerLevel } from '../level.js';
import { PERM_RWX, PERM_WRITE } from '../entry.js';
import { GfnTree } from './gfnTree.js';
import type { VmStats } from '../stats.js';
import { FlushOrigin, type FlushSink } from '../vmOptions.js';

/**
 * The VM's flush sink on a pKVM host (`is_protected_kvm_enabled()`):
 * `kvm_arch_flush_remote_tlbs` and `kvm_arch_flush_remote_tlbs_range`
 * (arch/arm64/kvm/mmu.c) are both the `__pkvm_tlb_flush_vmid` hypercall, a
 * full flush of the VMID whatever the range. Requests of those call sites
 * (`Generic`, `Range`) count one hypercall and go on as `All`; the TLBIs the
 * EL2 page-table code issues itself (`Tlbi`, `Ipa`) pass unchanged.
 */
export class PkvmFlushSink implements FlushSink {
  constructor(
    private readonly next: FlushSink,
    private readonly mirror: HypercallMirror,
  ) {}

  requestFlush(startGfn: number, endGfn: number, alias: number, origin: FlushOrigin): void {
    if (origin === FlushOrigin.Generic || origin === FlushOrigin.Range) {
      this.mirror.tlbFlushVmid();
      origin = FlushOrigin.All;
    }
    this.next.requestFlush(startGfn, endGfn, alias, origin);
  }
}

/** Hypercall names, as in arch/arm64/kvm/hyp/nvhe/hyp-main.c. */
export const HYPERCALL_KINDS = ['host_share_guest', 'host_unshare_guest', 'host_wrprotect_guest', 'host_relax_perms_guest', 'tlb_flush_vmid'] as const;
export type HypercallKind = (typeof HYPERCALL_KINDS)[number];

export class HypercallMirror {
  readonly tree = new GfnTree();
  /** Hypercalls by kind (also summed into `VmStats.hypercalls`). */
  readonly byKind: Record<HypercallKind, number> = {
    host_share_guest: 0,
    host_unshare_guest: 0,
    host_wrprotect_guest: 0,
    host_relax_perms_guest: 0,
    tlb_flush_vmid: 0,
  };
  /** Maps refused because the GFN was already mapped (-EAGAIN). */
  eagain = 0;

  constructor(private readonly stats: VmStats) {}

  /** Mirror one stage-2 leaf change (see file comment). */
  onLeafChange(gfn: number, level: Level, oldWord: number, newWord: number, _alias: number): void {
    if (oldWord === 0 && newWord !== 0) {
      this.call('host_share_guest');
      if (!this.tree.insert(gfn, pagesPerLevel(level))) this.eagain++;
    } else if (oldWord !== 0 && newWord === 0) {
      this.call('host_unshare_guest');
      this.tree.remove(gfn);
    } else if (oldWord !== 0 && newWord !== 0) {
      const removed = oldWord & PERM_RWX & ~newWord;
      const added = newWord & PERM_RWX & ~oldWord;
      if (removed & PERM_WRITE) this.call('host_wrprotect_guest');
      if (added) this.call('host_relax_perms_guest');
    }
  }

  /**
   * VM teardown (`pkvm_pgtable_stage2_destroy`): every mapping still shared is
   * unshared, in GFN order, removing each while walking the tree
   * (`for_each_mapping_in_range_safe`).
   */
  destroy(): void {
    this.tree.forEachInRange(0, Number.MAX_SAFE_INTEGER, (gfn) => {
      this.call('host_unshare_guest');
      this.tree.remove(gfn);
    });
  }

  /** `__pkvm_tlb_flush_vmid`: `kvm_arch_flush_remote_tlbs[_range]` on a pKVM host. */
  tlbFlushVmid(): void {
    this.call('tlb_flush_vmid');
  }

  private call(kind: HypercallKind): void {
    this.byKind[kind]++;
    this.stats.hypercalls++;
  }
}
