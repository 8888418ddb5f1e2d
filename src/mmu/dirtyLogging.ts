/**
 * KVM_MEM_LOG_DIRTY_PAGES turned on or off for a memslot
 * (`kvm_mmu_slot_apply_flags` in arch/x86/kvm/x86.c; arm64
 * `kvm_arch_commit_memory_region`). Runs with the mmu_lock held for write
 * (`toggleDirtyLogging` in hostEvents.ts takes it).
 *
 * On: with eager split, split huge leaves to 4K first
 * (`kvm_mmu_slot_try_split_huge_pages`), then write-protect the slot
 * (`kvm_mmu_slot_remove_write_access`); new mappings are then 4K.
 * Off: `recover` replaces tables by huge leaves in place
 * (`kvm_tdp_mmu_recover_huge_pages`, Linux 6.13+), `zap` zaps each
 * collapsible table entry with its own flush (the TDP MMU up to 6.12,
 * `zap_collapsible_spte_range`), `zap-leaves` zaps the collapsible leaves
 * with one flush (the shadow MMU, `kvm_rmap_zap_collapsible_sptes`); the next
 * fault maps huge. `keep` leaves them (arm64).
 */
import { Level, pagesPerLevel } from './level.js';
import { MemslotError, type Memslot } from './memslots.js';
import { MAP_FIXED, InvalidTransitionError } from './pageTable.js';
import { makeLeaf } from './entry.js';
import type { Vm } from './vm.js';
import { AccessKind, FlushOrigin } from './vmOptions.js';
import { writeProtectAlias, zapLeaves } from './hostEvents.js';
import { EINVAL } from './preFault.js';

/**
 * Why KVM refuses KVM_MEM_LOG_DIRTY_PAGES on `slot` (-EINVAL), or undefined:
 * guest_memfd memory (`check_memory_region_flags`: "Dirty logging private
 * memory is not currently supported"), VM_PFNMAP memory (arm64
 * `kvm_arch_prepare_memory_region`: "IO region dirty page logging not
 * allowed"; only arm64 slots have a PFNMAP kind here).
 */
export function dirtyLogRefusal(slot: Memslot): string | undefined {
  if (slot.private) return 'guest_memfd memory cannot log dirty pages (check_memory_region_flags: -EINVAL)';
  if (slot.pfnmap !== 'none') return 'VM_PFNMAP memory cannot log dirty pages (kvm_arch_prepare_memory_region: -EINVAL)';
  return undefined;
}

/**
 * Turn dirty logging of memslot `id` on or off; 0, or -EINVAL when KVM
 * refuses it (`dirtyLogRefusal`): the VM is left as it was and
 * `ioctl_errors` counts it. Turning off what a refusal left off changes no
 * flag: nothing to do (`__kvm_set_memory_region` returns 0).
 */
export function setDirtyLogging(vm: Vm, id: number, enabled: boolean): number {
  const slot = vm.memslots.byId(id);
  if (dirtyLogRefusal(slot) !== undefined) {
    if (!enabled) return 0;
    vm.stats.ioctl_errors++;
    return -EINVAL;
  }
  if (slot.dirtyLogging === enabled) {
    throw new MemslotError(`dirty logging is already ${enabled ? 'on' : 'off'} for memslot ${id}`);
  }
  vm.dirtyLog.forget(slot);
  const start = slot.baseGfn;
  const end = slot.baseGfn + slot.npages;
  // x86 kvm_mmu_slot_apply_flags returns early for a read-only slot: the flag changes, no mapping does.
  const touchesMappings = !(slot.readOnly && vm.options.profile.readOnlySlotSkipsDirtyLogSetup);
  slot.dirtyLogging = enabled;
  if (!touchesMappings) return 0;
  if (enabled) {
    if (vm.options.eagerSplit) splitAll(vm, start, end);
    // kvm_mmu_slot_remove_write_access; the caller holds the write lock already.
    for (let alias = 0; alias < vm.tables.length; alias++) writeProtectAlias(vm, start, end, alias);
    return 0;
  }
  const policy = vm.options.dirtyLogOff;
  for (let alias = 0; alias < vm.tables.length; alias++) {
    if (policy === 'zap') {
      zapCollapsibleTables(vm, slot, alias);
    } else if (policy === 'zap-leaves') {
      // The shadow MMU (kvm_rmap_zap_collapsible_sptes): leaves that could be larger, one flush for the slot.
      zapLeaves(vm, start, end, alias, FlushOrigin.Range, (gfn, level) => vm.faultLevelQuiet(slot, gfn) > level);
    } else if (policy === 'recover') {
      recoverHugePages(vm, slot, alias);
    }
  }
  return 0;
}

/**
 * The TDP MMU up to Linux 6.12 (`kvm_tdp_mmu_zap_collapsible_sptes` ->
 * `zap_collapsible_spte_range`, arch/x86/kvm/mmu/tdp_mmu.c): walking from
 * the top, every table entry at a huge level (1G, then 2M) whose first frame
 * is in the slot and which `kvm_mmu_max_mapping_level` allows at that level
 * is zapped atomically (`tdp_mmu_zap_spte_atomic`, which does its own remote
 * flush, `kvm_flush_remote_tlbs_gfn` over the entry's range) and its subtree
 * freed; the next fault maps the frame huge. One flush request per entry.
 */
function zapCollapsibleTables(vm: Vm, slot: Memslot, alias: number): void {
  const table = vm.tables[alias];
  const start = slot.baseGfn;
  const end = slot.baseGfn + slot.npages;
  for (const level of [Level.L1G, Level.L2M]) {
    const collapsible: number[] = [];
    table.walkTables(start, end, level, (gfn) => {
      if (gfn >= start && gfn < end && vm.faultLevelQuiet(slot, gfn) >= level) collapsible.push(gfn);
    });
    for (const gfn of collapsible) {
      if (!table.removeTable(gfn, level)) throw new InvalidTransitionError('a collapsible table vanished under the write lock');
      vm.flushSink.requestFlush(gfn, gfn + pagesPerLevel(level), alias, FlushOrigin.Range);
    }
  }
}

/** Replace each table a huge leaf may replace again by that leaf (`kvm_tdp_mmu_recover_huge_pages`), then one range flush. */
function recoverHugePages(vm: Vm, slot: Memslot, alias: number): void {
  const table = vm.tables[alias];
  const start = slot.baseGfn;
  const end = slot.baseGfn + slot.npages;
  let first = Infinity;
  let last = -Infinity;
  for (const level of [Level.L1G, Level.L2M]) {
    table.walkTables(start, end, level, (gfn) => {
      if (vm.faultLevelQuiet(slot, gfn) < level) return;
      // Built as a read fault builds its leaf (on x86, the arch that recovers: RWX unless NX huge pages).
      const word = makeLeaf(vm.newLeaf.bits(slot, AccessKind.Read, vm.isPrivate(slot, gfn), level));
      if (table.map(gfn, level, word) !== MAP_FIXED) throw new InvalidTransitionError('huge-page recovery lost a race under the write lock');
      first = Math.min(first, gfn);
      last = Math.max(last, gfn + pagesPerLevel(level));
    });
  }
  if (last > first) vm.flushSink.requestFlush(first, last, alias, FlushOrigin.Range);
}

/** Eager split (`kvm_mmu_slot_try_split_huge_pages`): every huge leaf of the range down to 4K. */
function splitAll(vm: Vm, start: number, end: number): void {
  if (!vm.options.profile.canSplit) return;
  for (let alias = 0; alias < vm.tables.length; alias++) {
    const table = vm.tables[alias];
    const huge: number[] = [];
    table.walkLeaves(start, end, (_t, _s, level, gfn) => {
      if (level > Level.L4K) huge.push(gfn, level);
    });
    for (let i = 0; i < huge.length; i += 2) {
      const gfn = huge[i];
      const level = huge[i + 1] as Level;
      must(vm.splitTo(gfn, alias, level, Level.L2M));
      if (level === Level.L1G) {
        // The 1G leaf became 512 2M leaves; split each of them too.
        for (let j = 0; j < 512; j++) must(vm.splitTo(gfn + j * pagesPerLevel(Level.L2M), alias, Level.L2M, Level.L4K));
      } else {
        must(vm.splitTo(gfn, alias, Level.L2M, Level.L4K));
      }
    }
  }
}

/** Exclusive operations cannot lose a race. */
function must(done: boolean): void {
  if (!done) throw new InvalidTransitionError('a split lost a race under the write lock');
}
