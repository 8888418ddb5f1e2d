/**
 * KVM's `mmu_lock` as a reader-writer lock in shared memory, for the
 * per-vCPU replay. vCPU faults hold it for read, as the TDP MMU fault path
 * does (`kvm_tdp_mmu_map` runs under `read_lock(&kvm->mmu_lock)` and installs
 * with cmpxchg; arm64 `user_mem_abort` likewise since stage-2 faults were made
 * parallel); host-side invalidations hold it for write, as the MMU-notifier
 * path (`kvm_mmu_notifier_invalidate_range_start` -> `kvm_unmap_gfn_range`)
 * and write-protection do. Writers are preferred: a reader waits while a
 * writer holds or wants the lock.
 *
 * Contract: only worker threads may block (`Atomics.wait`); the main thread
 * never takes this lock. Locks are never held across a trace event, so a
 * waiter always waits for a running thread.
 */

/** Int32 words the lock needs in its buffer. */
export const MMU_LOCK_WORDS = 2;

const READERS = 0;
const WRITER = 1;

export class MmuLock {
  private readonly words: Int32Array;

  /** `buffer` holds `MMU_LOCK_WORDS` Int32 words at `byteOffset`, zero when the lock is free. */
  constructor(buffer: SharedArrayBuffer, byteOffset = 0) {
    this.words = new Int32Array(buffer, byteOffset, MMU_LOCK_WORDS);
  }

  /** `read_lock(&kvm->mmu_lock)`. */
  readLock(): void {
    const w = this.words;
    for (;;) {
      while (Atomics.load(w, WRITER) !== 0) Atomics.wait(w, WRITER, 1);
      Atomics.add(w, READERS, 1);
      if (Atomics.load(w, WRITER) === 0) return;
      // A writer came in between: step back so it can proceed.
      this.readUnlock();
    }
  }

  /** `read_unlock(&kvm->mmu_lock)`. */
  readUnlock(): void {
    if (Atomics.sub(this.words, READERS, 1) === 1) Atomics.notify(this.words, READERS);
  }

  /** `write_lock(&kvm->mmu_lock)`: claim the writer word, then wait for the readers to leave. */
  writeLock(): void {
    const w = this.words;
    while (Atomics.compareExchange(w, WRITER, 0, 1) !== 0) Atomics.wait(w, WRITER, 1);
    for (let readers = Atomics.load(w, READERS); readers !== 0; readers = Atomics.load(w, READERS)) {
      Atomics.wait(w, READERS, readers);
    }
  }

  /** `write_unlock(&kvm->mmu_lock)`. */
  writeUnlock(): void {
    Atomics.store(this.words, WRITER, 0);
    Atomics.notify(this.words, WRITER);
  }
}
