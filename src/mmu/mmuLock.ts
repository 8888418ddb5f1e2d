/**
 * KVM's `mmu_lock`, as the fault path and the host-side operations take it.
 * vCPU faults and pre-fault steps hold it for read (`kvm_tdp_mmu_map` runs
 * under `read_lock(&kvm->mmu_lock)` and installs by cmpxchg; arm64
 * `user_mem_abort` likewise); host invalidations and write-protection hold
 * it for write (`kvm_mmu_notifier_invalidate_range_start` ->
 * `kvm_unmap_gfn_range`, `kvm_mmu_slot_remove_write_access`).
 *
 * The deterministic replay has one thread and uses `NO_MMU_LOCK`; the
 * per-vCPU mode passes a reader-writer lock in shared memory
 * (src/replay/perVcpu/sharedMmuLock.ts).
 */
export interface MmuLock {
  readLock(): void;
  readUnlock(): void;
  writeLock(): void;
  writeUnlock(): void;
}

/** One thread: nothing to exclude. */
export const NO_MMU_LOCK: MmuLock = {
  readLock(): void {},
  readUnlock(): void {},
  writeLock(): void {},
  writeUnlock(): void {},
};
