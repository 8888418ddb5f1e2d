/**
 * The per-vCPU mode's `EntryStore` (src/mmu/entryStore.ts): the stage-2's
 * table pages in one SharedArrayBuffer that every vCPU worker maps, written
 * only by `Atomics.compareExchange`, as KVM's TDP MMU changes SPTEs under the
 * read lock (`tdp_mmu_set_spte_atomic` -> `__tdp_mmu_set_spte_atomic` ->
 * `try_cmpxchg64`, arch/x86/kvm/mmu/tdp_mmu.c) and arm64's
 * `stage2_try_set_pte` with KVM_PGTABLE_WALK_SHARED (hyp/pgtable.c).
 *
 * Tables come from a bump counter (`Atomics.add`); a table that lost a link
 * race goes back to this worker's cache (KVM's per-vCPU `mmu_page_cache`); a
 * removed table's entries are frozen (`FROZEN`, as `handle_removed_pt` sets
 * FROZEN_SPTE) and the table is never reused (KVM frees it after an RCU grace
 * period, which no walker here can observe ending).
 *
 * Layout: 16 Int32 header words (next table, capacity, root level, the
 * mmu_lock's words), the pool of 512-entry tables, then one NX flag byte per
 * table.
 */
import { ENTRIES_PER_TABLE, type Level } from '../../mmu/level.js';
import { FROZEN, RESERVED_TABLES, type EntryStore } from '../../mmu/entryStore.js';
import { MMU_LOCK_WORDS, SharedMmuLock } from './sharedMmuLock.js';

const NEXT_TABLE = 0;
const CAPACITY = 1;
const ROOT_LEVEL = 2;
const LOCK_WORD = 4;
/** Bytes before the pool: 16 Int32 header words. */
const HEADER_BYTES = 64;
if (LOCK_WORD + MMU_LOCK_WORDS > HEADER_BYTES / 4) throw new Error('sharedEntryStore: header too small for the lock');

export class SharedEntryStore implements EntryStore {
  readonly words: Int32Array;
  readonly nxFlags: Uint8Array;
  readonly shared = true;
  readonly rootLevel: Level;
  /** The mmu_lock, in the same buffer. */
  readonly lock: SharedMmuLock;
  /** cmpxchg writes this instance lost to another vCPU (`install_races`). */
  races = 0;
  private readonly header: Int32Array;
  private readonly capacity: number;
  /** Zeroed tables this instance allocated but lost a link race with. */
  private readonly cache: number[] = [];

  constructor(readonly buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.capacity = this.header[CAPACITY];
    this.rootLevel = this.header[ROOT_LEVEL] as Level;
    this.words = new Int32Array(buffer, HEADER_BYTES, this.capacity * ENTRIES_PER_TABLE);
    this.nxFlags = new Uint8Array(buffer, HEADER_BYTES + this.capacity * ENTRIES_PER_TABLE * 4, this.capacity);
    this.lock = new SharedMmuLock(buffer, LOCK_WORD * 4);
  }

  /** A zeroed shared table of `capacityTables` pages (root and frozen sentinel included). */
  static allocate(rootLevel: Level, capacityTables: number): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(HEADER_BYTES + capacityTables * (ENTRIES_PER_TABLE * 4 + 1));
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    header[NEXT_TABLE] = RESERVED_TABLES;
    header[CAPACITY] = capacityTables;
    header[ROOT_LEVEL] = rootLevel;
    return buffer;
  }

  /** Table pages handed out so far (root, sentinel and workers' caches included). */
  get tablesInUse(): number {
    return Atomics.load(this.header, NEXT_TABLE);
  }

  allocTable(): number {
    const cached = this.cache.pop();
    if (cached !== undefined) return cached;
    const table = Atomics.add(this.header, NEXT_TABLE, 1);
    if (table >= this.capacity) {
      throw new Error(`per-vcpu: the shared stage-2 table is full (${this.capacity} table pages); this trace needs more than its memslots predicted`);
    }
    return table;
  }

  discardTable(table: number): void {
    this.nxFlags[table] = 0;
    this.cache.push(table);
  }

  releaseTable(): void {
    // Frozen for good: a walker may still be inside it.
  }

  trySet(index: number, oldWord: number, newWord: number): boolean {
    if (Atomics.compareExchange(this.words, index, oldWord, newWord) === oldWord) return true;
    this.races++;
    return false;
  }

  retire(index: number): number {
    return Atomics.exchange(this.words, index, FROZEN);
  }
}
