/**
 * Host-side changes of the stage-2, each under the mmu_lock held for write
 * (exclusive: no fault runs meanwhile, so every table write succeeds):
 * MMU-notifier invalidation, write-protection, memslot deletion, memory
 * attribute changes and dirty-logging toggles. Each zaps or changes leaves
 * through one range walk and requests one flush per alias over the frames it
 * changed.
 */
import { Level, alignGfnDown, pagesPerLevel } from './level.js';
import { GPA_LIMIT, gpaToGfn } from './address.js';
import { MemslotError, type Memslot } from './memslots.js';
import { PERM_WRITE } from './entry.js';
import { ALIAS_PLAIN, ALIAS_STOLEN, ZAP_ALL, type Vm } from './vm.js';
import { FlushOrigin } from './vmOptions.js';
import { setDirtyLogging } from './dirtyLogging.js';

/** End of every table's GFN space (every alias's raw frames are below it). */
const GFN_LIMIT = gpaToGfn(GPA_LIMIT);

/** Run `change` with `vm`'s mmu_lock held for write. */
function exclusive(vm: Vm, change: () => void): void {
  vm.lock.writeLock();
  try {
    change();
  } finally {
    vm.lock.writeUnlock();
  }
}

/**
 * Host invalidation of [startGfn, endGfn) in every alias
 * (`kvm_unmap_gfn_range`): zap every overlapping leaf, a huge leaf partly
 * covered as a whole, then one flush per alias touched.
 */
export function unmapGfnRange(vm: Vm, startGfn: number, endGfn: number, filter: AttrFilter = FILTER_ALL): void {
  const how = vm.options.profile.unmapFlush;
  exclusive(vm, () => {
    for (let alias = 0; alias < vm.tables.length; alias++) {
      if (!reaches(vm, alias, filter)) continue;
      if (how === 'generic') zapLeaves(vm, startGfn, endGfn, alias, FlushOrigin.Generic, ZAP_ALL);
      else stage2Unmap(vm, startGfn, endGfn, alias, how === 'stage2Walk');
    }
  });
}

/**
 * arm64 `kvm_stage2_unmap_range` (arch/arm64/kvm/mmu.c) and pKVM's unshares,
 * with the TLB maintenance of `kvm_pgtable_stage2_unmap` (hyp/pgtable.c):
 * 1. `stage2_apply_range` cuts the range at 1 GiB boundaries
 *    (`stage2_range_addr_end`, `KVM_PGTABLE_MIN_BLOCK_LEVEL`); `chunked`
 *    false (pKVM: one `__pkvm_host_unshare_guest` per mapping) flushes per leaf.
 * 2. In each chunk every overlapping leaf is zapped (a block partly covered
 *    whole, `stage2_unmap_walker`).
 * 3. `stage2_unmap_defer_tlb_flush()` (FEAT_TLBIRANGE and FWB): one
 *    `kvm_tlb_flush_vmid_range` over the chunk, even if nothing was mapped
 *    (pKVM: over each leaf); otherwise one `__kvm_tlb_flush_vmid_ipa` per leaf
 *    (`stage2_unmap_put_pte`), and no VMID flush.
 * Tables left empty are not freed in the model, so their flushes are not counted.
 */
function stage2Unmap(vm: Vm, startGfn: number, endGfn: number, alias: number, chunked: boolean): void {
  const defer = vm.options.tlbiRange && vm.options.fwb;
  const table = vm.tables[alias];
  const sink = vm.flushSink;
  for (let chunk = startGfn; chunk < endGfn; ) {
    const next = chunked ? Math.min(endGfn, alignGfnDown(chunk, Level.L1G) + pagesPerLevel(Level.L1G)) : endGfn;
    table.walkLeaves(chunk, next, (t, slot, level, gfn) => {
      table.setEntry(t, slot, level, gfn, 0);
      if (!chunked || !defer) sink.requestFlush(gfn, gfn + pagesPerLevel(level), alias, defer ? FlushOrigin.Tlbi : FlushOrigin.Ipa);
    });
    if (chunked && defer) sink.requestFlush(chunk, next, alias, FlushOrigin.Tlbi);
    chunk = next;
  }
}

/** Remove write permission from every leaf overlapping the range (the shared ones where private memory has its own root), then flush. */
export function writeProtectGfnRange(vm: Vm, startGfn: number, endGfn: number): void {
  exclusive(vm, () => {
    for (let alias = 0; alias < vm.tables.length; alias++) if (reaches(vm, alias, FILTER_SHARED)) writeProtectAlias(vm, startGfn, endGfn, alias);
  });
}

/**
 * Which mappings an invalidation may touch (`enum kvm_gfn_range_filter`):
 * `KVM_FILTER_SHARED` for the MMU notifier, `KVM_FILTER_PRIVATE` for
 * guest_memfd, both for memslot and attribute changes.
 */
export const enum AttrFilter {
  Private = 1,
  Shared = 2,
}
const FILTER_ALL = AttrFilter.Private | AttrFilter.Shared;
const FILTER_SHARED = AttrFilter.Shared;

/**
 * `kvm_gfn_range_filter_to_root_types`: with a mirror root for private
 * memory (TDX) the filter picks the aliases (private = the alias without
 * stolen bits, shared = the one with them); with one direct root every alias
 * is reached, whatever the filter.
 */
export function reaches(vm: Vm, alias: number, filter: AttrFilter): boolean {
  if (!vm.options.profile.mirroredPrivateRoot || vm.tables.length === 1) return true;
  return (filter & (alias === ALIAS_PLAIN ? AttrFilter.Private : AttrFilter.Shared)) !== 0;
}

/** MMU-notifier invalidation (`__kvm_handle_hva_range` with `KVM_FILTER_SHARED`): HVA-based, so never private mappings where they have their own root. */
export function notifierUnmap(vm: Vm, startGfn: number, endGfn: number): void {
  unmapGfnRange(vm, startGfn, endGfn, FILTER_SHARED);
}

/**
 * fallocate(PUNCH_HOLE) on guest_memfd (`kvm_gmem_punch_hole` ->
 * `kvm_gmem_invalidate_begin`): for each guest_memfd slot bound to the
 * range, `kvm_mmu_unmap_gfn_range` with `KVM_FILTER_PRIVATE` over the part
 * of [startGfn, endGfn) it covers, then one `kvm_flush_remote_tlbs` if
 * anything was zapped. Ordinary slots are not bound to a guest_memfd: nothing.
 */
export function gmemPunchHole(vm: Vm, startGfn: number, endGfn: number): void {
  for (const slot of [...vm.memslots.all()]) {
    if (!slot.private) continue;
    const start = Math.max(startGfn, slot.baseGfn);
    const end = Math.min(endGfn, slot.baseGfn + slot.npages);
    if (start < end) unmapGfnRange(vm, start, end, AttrFilter.Private);
  }
}

/**
 * `kvm_arch_flush_shadow_memslot` for a slot being deleted or moved. x86
 * (arch/x86/kvm/mmu/mmu.c): when `kvm_memslot_flush_zap_all()` holds (the
 * default VM type and KVM_X86_QUIRK_SLOT_ZAP_ALL, `Vm.slotFlushZapsAll`),
 * `kvm_mmu_zap_all_fast` zaps every mapping of the VM (`zapAllFast`);
 * otherwise (quirk off, TDX; and arm64's `kvm_stage2_unmap_range`) only the
 * slot's range is unmapped, as an MMU-notifier unmap.
 */
export function flushShadowMemslot(vm: Vm, slot: Memslot): void {
  if (vm.slotFlushZapsAll()) zapAllFast(vm);
  else unmapGfnRange(vm, slot.baseGfn, slot.baseGfn + slot.npages);
}

/**
 * `kvm_mmu_zap_all_fast`: every root is invalidated and every vCPU told to
 * load a new one (`kvm_make_all_cpus_request(KVM_REQ_MMU_FREE_OBSOLETE_ROOTS)`),
 * whose load flushes its TLB; the old roots are freed with every table and
 * leaf below them (`kvm_tdp_mmu_zap_invalidated_roots`), and the new root
 * starts empty, so later faults allocate their tables again (`mmu_pages`).
 * In the model: every subtree of every alias's root retired, then one flush
 * request of origin `All` (full on every vCPU, whatever the policy), even
 * when nothing was mapped.
 */
function zapAllFast(vm: Vm): void {
  exclusive(vm, () => {
    for (const table of vm.tables) {
      const subtrees: number[] = [];
      table.walkTables(0, GFN_LIMIT, table.rootLevel, (gfn) => subtrees.push(gfn));
      for (const gfn of subtrees) table.removeTable(gfn, table.rootLevel);
    }
    vm.flushSink.requestFlush(0, GFN_LIMIT, ALIAS_PLAIN, FlushOrigin.All);
  });
}

/** KVM_MR_DELETE: flush the slot's mappings (`flushShadowMemslot`), then remove it. */
export function deleteMemslot(vm: Vm, id: number): void {
  const slot = vm.memslots.byId(id);
  flushShadowMemslot(vm, slot);
  vm.memslots.remove(id);
}

/**
 * KVM_MR_MOVE (`__kvm_set_memory_region`): memslot `id` moves to `newBaseGfn`
 * with the same size and host memory (`userspace_addr` and `npages` may not
 * change, else -EINVAL); its mappings are zapped as for a delete
 * (`kvm_arch_flush_shadow_memslot` on the old slot). The new range is checked
 * first (overlap, stolen bits: -EEXIST/-EINVAL before anything changes).
 */
export function moveMemslot(vm: Vm, id: number, newBaseGfn: number, npages: number): void {
  const slot = vm.memslots.byId(id);
  if (npages !== slot.npages) {
    throw new MemslotError(`SLOT_MOVE: memslot ${id} is ${slot.npages * 4} KiB; a move keeps the size (KVM_MR_MOVE: npages may not change)`);
  }
  vm.memslots.remove(id);
  // Same host memory: hvaGfn stays, so the guest/host alignment (disallow_lpage) follows the new base.
  const moved: Memslot = { ...slot, baseGfn: newBaseGfn };
  try {
    vm.addSlot(moved);
  } catch (error) {
    vm.memslots.restore(slot);
    throw error;
  }
  flushShadowMemslot(vm, slot);
}

/**
 * KVM_SET_MEMORY_ATTRIBUTES (`kvm_vm_set_mem_attributes` ->
 * `kvm_arch_pre_set_memory_attributes`): zap the mappings the new attribute
 * makes wrong — with an alias, the shared alias when going private and the
 * private one when going shared; without one, the range.
 */
export function setMemoryPrivate(vm: Vm, startGfn: number, endGfn: number, isPrivate: boolean): void {
  // kvm_vm_set_mem_attributes: "Nothing to do if the entire range has the desired attributes" (kvm_range_has_memory_attributes).
  if (rangeHasAttribute(vm, startGfn, endGfn, isPrivate)) return;
  vm.attributes.set(startGfn, endGfn, isPrivate);
  const alias = vm.tables.length === 1 || !isPrivate ? ALIAS_PLAIN : ALIAS_STOLEN;
  exclusive(vm, () => zapLeaves(vm, startGfn, endGfn, alias, FlushOrigin.Generic, ZAP_ALL));
}

/**
 * True when every GFN of [startGfn, endGfn) already has the private
 * attribute `isPrivate`: the one set for it, else its slot's default (a
 * guest_memfd slot's GFNs start private; every other GFN shared). Walks runs
 * of equal answers, not GFNs.
 */
function rangeHasAttribute(vm: Vm, startGfn: number, endGfn: number, isPrivate: boolean): boolean {
  const slots = vm.memslots.all();
  for (let gfn = startGfn; gfn < endGfn; ) {
    const set = vm.attributes.get(gfn);
    let runEnd = vm.attributes.runEnd(gfn);
    let value = set;
    if (value === undefined) {
      const slot = vm.memslots.find(gfn);
      value = slot?.private ?? false;
      const next = slots.find((s) => s.baseGfn > gfn);
      runEnd = Math.min(runEnd, slot !== undefined ? slot.baseGfn + slot.npages : (next?.baseGfn ?? Number.POSITIVE_INFINITY));
    }
    if (value !== isPrivate) return false;
    gfn = runEnd;
  }
  return true;
}

/** KVM_MEM_LOG_DIRTY_PAGES on or off for memslot `id` (`kvm_mmu_slot_apply_flags`; dirtyLogging.ts): 0 or -errno. */
export function toggleDirtyLogging(vm: Vm, id: number, enabled: boolean): number {
  let result = 0;
  exclusive(vm, () => {
    result = setDirtyLogging(vm, id, enabled);
  });
  return result;
}

/** Write-protect one alias's leaves in the range, one range flush over those changed. Exclusive. */
export function writeProtectAlias(vm: Vm, startGfn: number, endGfn: number, alias: number): void {
  let first = Infinity;
  let end = -Infinity;
  const table = vm.tables[alias];
  table.walkLeaves(startGfn, endGfn, (t, slot, level, gfn, word) => {
    if ((word & PERM_WRITE) === 0) return;
    table.setEntry(t, slot, level, gfn, word & ~PERM_WRITE);
    first = Math.min(first, gfn);
    end = Math.max(end, gfn + pagesPerLevel(level));
  });
  if (end > first) vm.flushSink.requestFlush(first, end, alias, FlushOrigin.Range);
}

/**
 * Zap the leaves overlapping [startGfn, endGfn) of `alias` for which
 * `shouldZap` holds, then one flush over the frames changed. Exclusive: the
 * caller holds the mmu_lock for write, or is the only thread (arm64's
 * break-before-make of one block in the fault path).
 */
export function zapLeaves(
  vm: Vm,
  startGfn: number,
  endGfn: number,
  alias: number,
  origin: FlushOrigin,
  shouldZap: (gfn: number, level: Level) => boolean,
): void {
  let first = Infinity;
  let end = -Infinity;
  const table = vm.tables[alias];
  table.walkLeaves(startGfn, endGfn, (t, slot, level, gfn) => {
    if (!shouldZap(gfn, level)) return;
    table.setEntry(t, slot, level, gfn, 0);
    first = Math.min(first, gfn);
    end = Math.max(end, gfn + pagesPerLevel(level));
  });
  if (end > first) vm.flushSink.requestFlush(first, end, alias, origin);
}
