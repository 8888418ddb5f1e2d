/**
 * KVM's `mmu_lock` (src/mmu/mmuLock.ts says who takes it how) as a
 * reader-writer lock in shared memory, for the per-vCPU replay. Writers are
 * preferred: a reader waits while a writer holds or wants the lock.
 *
 * Contract: only worker threads may block (`Atomics.wait`); the main thread
 * never takes this lock. Locks are never held across a trace event, so a
 * waiter always waits for a running thread.
 */
import type { MmuLock } from '../../mmu/mmuLock.js';

/** Int32 words the lock needs in its buffer. */
export const MMU_LOCK_WORDS = 2;

const READERS = 0;
const WRITER = 1;

export class SharedMmuLock implements MmuLock {
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
