/**
 * Page aging: the MMU notifier's `clear_flush_young` (reclaim asking whether
 * a page was used; `kvm_mmu_notifier_clear_flush_young` -> `kvm_age_gfn`),
 * the trace's AGE op (17).
 *
 * Each leaf has an accessed flag (arm64 AF, x86 EPT Accessed), set when it is
 * mapped (`stage2_set_prot_attr` sets `KVM_PTE_LEAF_ATTR_LO_S2_AF`) and by
 * the hardware on a walk (arm64 `VTCR_EL2.HA`, enabled by `kvm_get_vtcr`;
 * EPT A/D bits): in the model, by any stage-2 lookup of a TLB miss
 * (`Vm.translate`). AGE tests and clears the flag of every leaf overlapping the
 * range (`kvm_pgtable_stage2_test_clear_young(..., mkold = true)` on arm64,
 * `kvm_tdp_mmu_age_gfn_range` on x86), and when one was young:
 * - arm64 flushes (`flush_on_ret` = `!IS_ENABLED(CONFIG_KVM_ELIDE_TLB_FLUSH_IF_YOUNG)`:
 *   one `kvm_flush_remote_tlbs`; on pKVM the `__pkvm_tlb_flush_vmid` hypercall);
 * - x86 selects `KVM_ELIDE_TLB_FLUSH_IF_YOUNG`: no flush.
 * pKVM has no stage-2 of its own to walk: `pkvm_pgtable_stage2_test_clear_young`
 * makes one `__pkvm_host_test_clear_young_guest` hypercall per mapping of the
 * range (kind `host_test_clear_young_guest`).
 *
 * Without hardware AF (`--hw-af off`: a CPU without FEAT_HAFDBS, or the
 * AmpereOne AC03_CPU_38 erratum that keeps VTCR_EL2.HA clear) an access whose
 * walk finds an old leaf takes an access-flag fault: `kvm_handle_guest_abort`
 * -> `handle_access_fault` -> `kvm_pgtable_stage2_mkyoung` under the mmu_lock
 * for read (pKVM: the `__pkvm_host_mkyoung_guest` hypercall), counted in
 * `faults_access`; the guest retries and the walk goes on.
 */
import { alignGfnDown, type Level } from './level.js';
import type { VcpuStats } from './stats.js';
import type { Vm } from './vm.js';
import { AttrFilter, reaches } from './hostEvents.js';
import { FlushOrigin } from './vmOptions.js';

/** Key of a leaf: its alias and first frame (GFNs are below 2^40). */
const ALIAS_STRIDE = 2 ** 40;

/** Which leaves are old (aged and not accessed since); a leaf not in the set is young. */
export class AccessedFlags {
  private readonly old = new Set<number>();

  /** True when some leaf is old (the lookup path's only check otherwise). */
  get anyOld(): boolean {
    return this.old.size !== 0;
  }

  /** Test and clear: true when the leaf was young. */
  testClear(alias: number, firstGfn: number): boolean {
    const key = alias * ALIAS_STRIDE + firstGfn;
    if (this.old.has(key)) return false;
    this.old.add(key);
    return true;
  }

  /** The flag of the leaf holding `gfn` at `level` is set again (a walk, mkyoung, or the leaf changed); true when it was old. */
  markYoung(alias: number, gfn: number, level: Level): boolean {
    return this.old.delete(alias * ALIAS_STRIDE + alignGfnDown(gfn, level));
  }
}

/**
 * A walk reached the present leaf holding `gfn` (`Vm.translate`, with some
 * leaf old): hardware AF sets its flag; without it an old leaf is an
 * access-flag fault, `handle_access_fault` (read lock, mkyoung).
 */
export function walkReachesLeaf(vm: Vm, alias: number, gfn: number, level: Level, vcpu: VcpuStats): void {
  if (vm.options.hwAf) {
    vm.accessed.markYoung(alias, gfn, level);
    return;
  }
  vm.lock.readLock();
  try {
    if (!vm.accessed.markYoung(alias, gfn, level)) return;
    vm.mirror?.mkyoung();
  } finally {
    vm.lock.readUnlock();
  }
  vcpu.faults_access++;
}

/**
 * AGE of [startGfn, endGfn) (`kvm_age_gfn` under the MMU notifier, HVA-based:
 * the shared mappings where private memory has its own root). Returns whether
 * a leaf was young (the notifier's answer).
 */
export function ageGfnRange(vm: Vm, startGfn: number, endGfn: number): boolean {
  let anyYoung = false;
  vm.lock.writeLock();
  try {
    for (let alias = 0; alias < vm.tables.length; alias++) {
      if (!reaches(vm, alias, AttrFilter.Shared)) continue;
      let young = false;
      vm.tables[alias].walkLeaves(startGfn, endGfn, (_t, _slot, _level, gfn) => {
        vm.mirror?.testClearYoung();
        if (vm.accessed.testClear(alias, gfn)) young = true;
      });
      if (young && vm.options.profile.agingFlushesIfYoung) vm.flushSink.requestFlush(startGfn, endGfn, alias, FlushOrigin.Generic);
      anyYoung ||= young;
    }
  } finally {
    vm.lock.writeUnlock();
  }
  return anyYoung;
}
