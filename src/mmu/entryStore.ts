/**
 * Where the stage-2 table's entry words live: the seam between the one page
 * table (`pageTable.ts`) and how its memory is shared. arm64's
 * `hyp/pgtable.c` has one walker and one function where an exclusive write
 * and a shared (concurrent) write differ, `stage2_try_set_pte`: a plain store
 * under the write lock, a cmpxchg with `KVM_PGTABLE_WALK_SHARED`. x86's TDP MMU
 * makes the same split in `tdp_mmu_set_spte` / `tdp_mmu_set_spte_atomic`.
 * `EntryStore.trySet` is that function here.
 *
 * Two stores: `LocalEntryStore` (this file), a growable private `Int32Array`
 * for the deterministic replay; `SharedEntryStore`
 * (src/replay/perVcpu/sharedEntryStore.ts), a SharedArrayBuffer that every
 * vCPU worker maps. A cell uses one store type, so the table's code stays
 * monomorphic.
 *
 * Layout contract, both stores: table page `t`'s entry `i` is
 * `words[t * ENTRIES_PER_TABLE + i]`; table 0 is the root; table 1 is the
 * frozen sentinel (`FROZEN_TABLE`), never allocated and never written, so
 * that a walk through a frozen entry reads "not present" with no extra check.
 */
import { ENTRIES_PER_TABLE } from './level.js';
import { makeTablePointer } from './entry.js';

/** The root table page. */
export const ROOT_TABLE = 0;
/** The sentinel table a frozen entry points to: all its entries stay 0. */
export const FROZEN_TABLE = 1;
/** Tables every store reserves (root and sentinel). */
export const RESERVED_TABLES = 2;
/**
 * A frozen entry (KVM's FROZEN_SPTE, set by `handle_removed_pt` on every entry
 * of a removed table): installers that meet it retry. Only a shared store
 * ever writes it; a lock-free walk through it ends at the sentinel's 0.
 */
export const FROZEN = makeTablePointer(FROZEN_TABLE);

export interface EntryStore {
  /**
   * The entry words. Plain reads are the hardware walk (lock-free). A local
   * store replaces the array when it grows, so callers re-read this after
   * `allocTable`.
   */
  readonly words: Int32Array;
  /** Per table page: 1 when it was linked because NX huge pages forbade a huge leaf (`nx_huge_page_disallowed`). */
  readonly nxFlags: Uint8Array;
  /** True when other threads write the same words (cmpxchg installs, frozen tables). */
  readonly shared: boolean;
  /** A zeroed table page, not yet linked. */
  allocTable(): number;
  /** A table from `allocTable` that was never linked (its link lost a race): keep it for the next allocation. */
  discardTable(table: number): void;
  /** A table unlinked from the tree whose entries have all been retired: a local store reuses it; a shared one never does (no RCU grace period to wait for). */
  releaseTable(table: number): void;
  /**
   * `stage2_try_set_pte`: set entry `index` from `oldWord` to `newWord`.
   * False when the entry no longer held `oldWord` (another vCPU won the
   * race); a local store always succeeds.
   */
  trySet(index: number, oldWord: number, newWord: number): boolean;
  /** Take the word of an entry of a removed table and retire the entry: 0 in a local store, `FROZEN` in a shared one. */
  retire(index: number): number;
  /** Table pages linked or cached now, the root and the sentinel included. */
  readonly tablesInUse: number;
}

/** The deterministic replay's store: one private, growable pool of table pages. */
export class LocalEntryStore implements EntryStore {
  words: Int32Array;
  nxFlags: Uint8Array;
  readonly shared = false;
  tablesInUse = RESERVED_TABLES;
  private capacityTables: number;
  private usedTables = RESERVED_TABLES;
  private readonly freeList: number[] = [];

  constructor(initialTables = 64) {
    this.capacityTables = Math.max(RESERVED_TABLES + 1, initialTables);
    this.words = new Int32Array(this.capacityTables * ENTRIES_PER_TABLE);
    this.nxFlags = new Uint8Array(this.capacityTables);
  }

  allocTable(): number {
    this.tablesInUse++;
    const reused = this.freeList.pop();
    if (reused !== undefined) return reused;
    if (this.usedTables === this.capacityTables) this.grow();
    return this.usedTables++;
  }

  discardTable(table: number): void {
    this.releaseTable(table);
  }

  releaseTable(table: number): void {
    // Retired entries are already 0; the flag goes with the page.
    this.nxFlags[table] = 0;
    this.freeList.push(table);
    this.tablesInUse--;
  }

  trySet(index: number, _oldWord: number, newWord: number): boolean {
    this.words[index] = newWord;
    return true;
  }

  retire(index: number): number {
    const words = this.words;
    const old = words[index];
    if (old !== 0) words[index] = 0;
    return old;
  }

  private grow(): void {
    this.capacityTables *= 2;
    const words = new Int32Array(this.capacityTables * ENTRIES_PER_TABLE);
    words.set(this.words);
    this.words = words;
    const flags = new Uint8Array(this.capacityTables);
    flags.set(this.nxFlags);
    this.nxFlags = flags;
  }
}
