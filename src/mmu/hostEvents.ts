/**
 * Host-side changes of the stage-2, each under the mmu_lock held for write
 * (exclusive: no fault runs meanwhile, so every table write succeeds):
 * MMU-notifier invalidation, write-protection, memslot deletion, memory
 * attribute changes and dirty-logging toggles. Each zaps or changes leaves
 * through one range walk and requests one flush per alias over the frames it
 * changed.
 */
import { type Level, pagesPerLevel } from './level.js';
import { PERM_WRITE } from './entry.js';
import { ALIAS_PLAIN, ALIAS_STOLEN, ZAP_ALL, type Vm } from './vm.js';
import { FlushOrigin } from './vmOptions.js';
import { setDirtyLogging } from './dirtyLogging.js';

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
export function unmapGfnRange(vm: Vm, startGfn: number, endGfn: number): void {
  exclusive(vm, () => {
    for (let alias = 0; alias < vm.tables.length; alias++) zapLeaves(vm, startGfn, endGfn, alias, FlushOrigin.Generic, ZAP_ALL);
  });
}

/** Remove write permission from every leaf overlapping the range, then flush. */
export function writeProtectGfnRange(vm: Vm, startGfn: number, endGfn: number): void {
  exclusive(vm, () => {
    for (let alias = 0; alias < vm.tables.length; alias++) writeProtectAlias(vm, startGfn, endGfn, alias);
  });
}

/** Slot deletion zaps its mappings (`kvm_arch_flush_shadow_memslot`) and flushes. */
export function deleteMemslot(vm: Vm, id: number): void {
  const slot = vm.memslots.byId(id);
  unmapGfnRange(vm, slot.baseGfn, slot.baseGfn + slot.npages);
  vm.memslots.remove(id);
}

/**
 * KVM_SET_MEMORY_ATTRIBUTES (`kvm_vm_set_mem_attributes` ->
 * `kvm_arch_pre_set_memory_attributes`): zap the mappings the new attribute
 * makes wrong — with an alias, the shared alias when going private and the
 * private one when going shared; without one, the range.
 */
export function setMemoryPrivate(vm: Vm, startGfn: number, endGfn: number, isPrivate: boolean): void {
  vm.attributes.set(startGfn, endGfn, isPrivate);
  const alias = vm.tables.length === 1 || !isPrivate ? ALIAS_PLAIN : ALIAS_STOLEN;
  exclusive(vm, () => zapLeaves(vm, startGfn, endGfn, alias, FlushOrigin.Generic, ZAP_ALL));
}

/** KVM_MEM_LOG_DIRTY_PAGES on or off for memslot `id` (`kvm_mmu_slot_apply_flags`; dirtyLogging.ts). */
export function toggleDirtyLogging(vm: Vm, id: number, enabled: boolean): void {
  exclusive(vm, () => setDirtyLogging(vm, id, enabled));
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
