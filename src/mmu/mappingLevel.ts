/**
 * The level of a new mapping, chosen as x86 KVM does in
 * `kvm_mmu_hugepage_adjust` -> `kvm_mmu_max_mapping_level` ->
 * `__kvm_mmu_max_mapping_level` (arch/x86/kvm/mmu/mmu.c); arm64's
 * `user_mem_abort` makes the same choices (force_pte under dirty logging,
 * `fault_supports_stage2_huge_mapping` for alignment, the VMA's page size).
 */
import { Level } from './level.js';
import { disallowLargePage, type Memslot } from './memslots.js';

/**
 * Largest level at which `gfn` may be mapped.
 *
 * 1. Start from the fault's max level (`--max-level`, already capped by the arch).
 * 2. Dirty logging on the slot: 4K at once (`kvm_slot_dirty_track_enabled`).
 * 3. Step down while `disallow_lpage` is set for the level (unaligned head or
 *    tail frame, or guest/host misalignment).
 * 4. Private (guest_memfd) memory: that level, without the host mapping.
 *    Otherwise never larger than the host mapping behind the HVA
 *    (`host_pfn_mapping_level`).
 */
export function maxMappingLevel(slot: Memslot, gfn: number, maxLevel: Level, isPrivate = false): Level {
  if (slot.dirtyLogging) return Level.L4K;
  // Shortcut of step 4: a 4K host mapping caps any other answer at 4K.
  if (!isPrivate && slot.backing === Level.L4K) return Level.L4K;
  let level = maxLevel;
  while (level > Level.L4K && disallowLargePage(slot, gfn, level)) level--;
  if (isPrivate) return level;
  return Math.min(level, slot.backing) as Level;
}
