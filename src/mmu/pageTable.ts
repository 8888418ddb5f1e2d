/**
 * The stage-2 page table: a radix tree of 512-entry table pages in an
 * `EntryStore` (see `entry.ts` for the word encoding, `entryStore.ts` for
 * where the words live), in the spirit of KVM's TDP MMU
 * (`arch/x86/kvm/mmu/tdp_mmu.c`) and arm64's `hyp/pgtable.c`: one walker
 * visits a half-open GFN range `[start, end)` and every range operation is a
 * small visitor; every change of an entry goes through the store's `trySet`
 * (`stage2_try_set_pte`), which is where a shared table's cmpxchg and a local
 * table's plain store differ, and is then reported to the listener.
 *
 * The same code serves the deterministic replay (local store, one thread)
 * and the per-vCPU threads (shared store): the fault-path operations `map`,
 * `split` and `relax` return a status, and on a shared store a lost cmpxchg
 * or a frozen entry gives `MAP_RETRY` (RET_PF_RETRY), as
 * `tdp_mmu_set_spte_atomic` failing does in `kvm_tdp_mmu_map`. Range
 * operations (`walkLeaves` visitors calling `setEntry`) run exclusively
 * (under the mmu_lock for write), where every write succeeds.
 */
import { ENTRIES_PER_TABLE, Level, alignGfnDown, pagesPerLevel, tableIndex } from './level.js';
import { PERM_RWX, isLeaf, isTable, makeTablePointer, tablePointerIndex } from './entry.js';
import { FROZEN, ROOT_TABLE, type EntryStore } from './entryStore.js';
import { MAP_FIXED, MAP_LEAF_ABOVE, MAP_RETRY, MAP_SPURIOUS } from './mapStatus.js';

/** Told about every leaf that appears, disappears or changes. */
export interface LeafChangeListener {
  /** `oldWord`/`newWord` are leaf words or 0; `gfn` is the leaf's first frame. */
  onLeafChange(gfn: number, level: Level, oldWord: number, newWord: number): void;
}

/**
 * Called for each present leaf overlapping a walked range. It may change the
 * leaf through `PageTable.setEntry(table, slot, ...)`.
 */
export type LeafVisitor = (table: number, slot: number, level: Level, gfn: number, word: number) => void;

/** Thrown for a transition the model must never make: a bug, not bad input. */
export class InvalidTransitionError extends Error {}

export { MAP_FIXED, MAP_LEAF_ABOVE, MAP_RETRY, MAP_SPURIOUS } from './mapStatus.js';

const NO_LISTENER: LeafChangeListener = { onLeafChange() {} };

/** 1 / ENTRIES_PER_TABLE: multiplying by a power of two is exact in doubles. */
const PER_ENTRY = 1 / ENTRIES_PER_TABLE;

export class PageTable {
  /** Level of the root table: 4 covers 48-bit GPAs, 5 covers 57-bit. */
  readonly rootLevel: Level;
  readonly store: EntryStore;
  /** `store.words`, re-read after every allocation (a local store grows by replacing it). */
  private pool: Int32Array;
  /**
   * arm64 `stage2_pte_needs_update`: a map over a leaf that differs only in
   * permissions changes nothing (-EAGAIN; the guest retries and takes a
   * permission fault). x86 replaces any SPTE that differs
   * (`tdp_mmu_map_handle_target_level`). From the arch profile.
   */
  private readonly permOnlyChangeIsSpurious: boolean;
  /** After `map`/`split`: table pages it linked (our `mmu_pages`; KVM's TDP MMU has no stat for them). */
  tablesLinked = 0;
  /** Tables the last `map` linked with the NX flag (for `nx_lpage_splits`). */
  nxTablesCreated = 0;
  /** True when the last `map` replaced a table of smaller leaves (the caller flushes that range). */
  replacedTable = false;
  /** After a `relax` that fixed the leaf: the new word. */
  relaxedWord = 0;
  /** Level of the leaf found by the last `lookup`, or of the last table visited. */
  lookupLevel: Level = Level.L4K;
  listener: LeafChangeListener = NO_LISTENER;
  /**
   * The 4K table (level 1) the last walk reached, and the GFN of its first
   * frame divided by 512 (-1: none). Consecutive faults mostly land in the
   * same 4K table, so `lookup` and a 4K `map` start there instead of at the
   * root. Valid while that table is linked: a table pointer is only ever
   * removed together with its table (`retireTable` clears this). Off on a
   * shared store (`cacheLevel` 0), where another vCPU may remove the table.
   */
  private leafTable = 0;
  private leafTableTag = -1;
  private readonly cacheLevel: number;

  constructor(store: EntryStore, rootLevel: Level = Level.L512G, permOnlyChangeIsSpurious = false) {
    this.store = store;
    this.rootLevel = rootLevel;
    this.pool = store.words;
    this.permOnlyChangeIsSpurious = permOnlyChangeIsSpurious;
    this.cacheLevel = store.shared ? 0 : Level.L2M;
  }

  /** Table pages in use, the root (and the store's frozen sentinel) included. */
  get tablesInUse(): number {
    return this.store.tablesInUse;
  }

  /**
   * The hardware walk: leaf word mapping `gfn`, or 0. Sets `lookupLevel` to
   * the leaf's level. Plain reads, no lock (a frozen entry leads to the
   * sentinel's 0). Hot path: no allocation.
   */
  lookup(gfn: number): number {
    const pool = this.pool;
    const tag = Math.floor(gfn * PER_ENTRY);
    if (tag === this.leafTableTag) {
      // The walk would go through the same upper entries to this 4K table.
      this.lookupLevel = Level.L4K;
      return pool[this.leafTable * ENTRIES_PER_TABLE + (gfn - tag * ENTRIES_PER_TABLE)];
    }
    const cacheLevel = this.cacheLevel;
    let table = ROOT_TABLE;
    for (let level = this.rootLevel; level >= Level.L4K; level--) {
      const word = pool[table * ENTRIES_PER_TABLE + tableIndex(gfn, level)];
      if (word === 0) {
        this.lookupLevel = level;
        return 0;
      }
      if (isLeaf(word)) {
        this.lookupLevel = level;
        return word;
      }
      table = tablePointerIndex(word);
      if (level === cacheLevel) {
        this.leafTable = table;
        this.leafTableTag = tag;
      }
    }
    throw new InvalidTransitionError('table pointer at level 1');
  }

  /**
   * Install leaf `leafWord` at `level` for the frame holding `gfn`, linking
   * the missing tables on the way (`tdp_mmu_link_sp`); `tablesLinked` says
   * how many. A table in the target entry (smaller mappings below) is
   * replaced and removed with its leaves, as `tdp_mmu_map_handle_target_level`
   * replacing a non-leaf SPTE frees the child table (`handle_removed_pt`);
   * `replacedTable` tells the caller to flush. Returns `MAP_FIXED`, or
   * `MAP_SPURIOUS` (the leaf is already there), `MAP_LEAF_ABOVE` (a larger
   * leaf covers `gfn`) or `MAP_RETRY` (a race lost, shared store only).
   *
   * `nxReqLevel`: when NX huge pages forced this mapping below the level the
   * slot allowed, that allowed level; each table linked at an entry level
   * <= it is flagged `nx_huge_page_disallowed` and counted in
   * `nxTablesCreated` (`tdp_mmu_link_sp` + `track_possible_nx_huge_page`).
   */
  map(gfn: number, level: Level, leafWord: number, nxReqLevel: Level = 0 as Level): number {
    this.tablesLinked = 0;
    this.nxTablesCreated = 0;
    this.replacedTable = false;
    const tag = Math.floor(gfn * PER_ENTRY);
    let table = ROOT_TABLE;
    if (level === Level.L4K && tag === this.leafTableTag) {
      table = this.leafTable; // every table on the way exists
    } else {
      for (let tl = this.rootLevel; tl > level; tl--) {
        const index = table * ENTRIES_PER_TABLE + tableIndex(gfn, tl);
        const word = this.pool[index];
        if (word === FROZEN) return MAP_RETRY;
        if (word === 0) {
          const child = this.linkTable(index, tl <= nxReqLevel);
          if (child < 0) return MAP_RETRY;
          table = child;
        } else if (isLeaf(word)) {
          this.lookupLevel = tl;
          return MAP_LEAF_ABOVE;
        } else {
          table = tablePointerIndex(word);
        }
      }
      if (level === Level.L4K && this.cacheLevel !== 0) {
        this.leafTable = table;
        this.leafTableTag = tag;
      }
    }
    return this.setTarget(table * ENTRIES_PER_TABLE + tableIndex(gfn, level), level, alignGfnDown(gfn, level), leafWord);
  }

  /**
   * Replace the huge leaf holding `gfn` at `level` by a table of 512 leaves one
   * level down with the same bits (`tdp_mmu_split_huge_page`): the child is
   * filled while private, then linked by one `trySet` in place of the leaf.
   * `nx` flags the new table as made for NX huge pages. `MAP_FIXED`, or
   * `MAP_RETRY` when the leaf is gone or changed (shared store).
   */
  split(gfn: number, level: Level, nx = false): number {
    this.tablesLinked = 0;
    const index = this.entryIndex(gfn, level);
    if (index < 0 || level === Level.L4K || !isLeaf(this.pool[index])) return MAP_RETRY;
    const word = this.pool[index];
    const store = this.store;
    const child = store.allocTable();
    this.pool = store.words;
    const pool = this.pool;
    store.nxFlags[child] = nx ? 1 : 0;
    const childBase = child * ENTRIES_PER_TABLE;
    pool.fill(word, childBase, childBase + ENTRIES_PER_TABLE);
    if (!store.trySet(index, word, makeTablePointer(child))) {
      pool.fill(0, childBase, childBase + ENTRIES_PER_TABLE);
      store.discardTable(child);
      return MAP_RETRY;
    }
    this.tablesLinked = 1;
    // The huge leaf goes first, so the listener never sees both at once.
    const base = alignGfnDown(gfn, level);
    const step = pagesPerLevel(level - 1);
    this.listener.onLeafChange(base, level, word, 0);
    for (let i = 0; i < ENTRIES_PER_TABLE; i++) this.listener.onLeafChange(base + i * step, level - 1, 0, word);
    return MAP_FIXED;
  }

  /**
   * Permission fault: add `perms` to the leaf mapping `gfn` (`fast_page_fault`
   * / `fast_pf_fix_direct_spte`; arm64 `kvm_pgtable_stage2_relax_perms`).
   * `MAP_FIXED` (new word in `relaxedWord`, level in `lookupLevel`),
   * `MAP_SPURIOUS` when the leaf already has them, `MAP_RETRY` when it is
   * gone or the cmpxchg lost.
   */
  relax(gfn: number, perms: number): number {
    let table = ROOT_TABLE;
    for (let level = this.rootLevel; level >= Level.L4K; level--) {
      const index = table * ENTRIES_PER_TABLE + tableIndex(gfn, level);
      const word = this.pool[index];
      if (word === 0) return MAP_RETRY;
      if (!isLeaf(word)) {
        table = tablePointerIndex(word);
        continue;
      }
      this.lookupLevel = level;
      if ((word & perms) === perms) return MAP_SPURIOUS;
      const fixed = word | perms;
      if (!this.store.trySet(index, word, fixed)) return MAP_RETRY;
      this.listener.onLeafChange(alignGfnDown(gfn, level), level, word, fixed);
      this.relaxedWord = fixed;
      return MAP_FIXED;
    }
    return MAP_RETRY;
  }

  /**
   * `disallowed_hugepage_adjust`: starting from `goal`, step down while the
   * entry at that level for `gfn` is a table made for NX huge pages.
   */
  nxAdjustedLevel(gfn: number, goal: Level): Level {
    let table = ROOT_TABLE;
    for (let tl = this.rootLevel; tl >= Level.L4K; tl--) {
      const word = this.pool[table * ENTRIES_PER_TABLE + tableIndex(gfn, tl)];
      if (!isTable(word)) return goal;
      table = tablePointerIndex(word);
      if (tl === goal && goal > Level.L4K) {
        if (this.store.nxFlags[table] === 0) return goal;
        goal--;
      }
    }
    return goal;
  }

  /**
   * Visit every entry at `level` that holds a table, overlapping
   * `[startGfn, endGfn)`, in GFN order (for huge-page recovery).
   */
  walkTables(startGfn: number, endGfn: number, level: Level, visit: (gfn: number) => void): void {
    if (endGfn <= startGfn) return;
    const walk = (table: number, tl: Level, baseGfn: number): void => {
      const step = pagesPerLevel(tl);
      const first = Math.max(0, Math.floor((startGfn - baseGfn) / step));
      const last = Math.min(ENTRIES_PER_TABLE - 1, Math.floor((endGfn - 1 - baseGfn) / step));
      for (let i = first; i <= last; i++) {
        const word = this.pool[table * ENTRIES_PER_TABLE + i];
        if (!isTable(word)) continue;
        if (tl === level) visit(baseGfn + i * step);
        else walk(tablePointerIndex(word), tl - 1, baseGfn + i * step);
      }
    };
    walk(ROOT_TABLE, this.rootLevel, 0);
  }

  /**
   * Visit every present leaf overlapping `[startGfn, endGfn)`, in GFN order.
   * A huge leaf only partly inside the range is visited whole.
   */
  walkLeaves(startGfn: number, endGfn: number, visit: LeafVisitor): void {
    if (endGfn <= startGfn) return;
    this.walkTable(ROOT_TABLE, this.rootLevel, 0, startGfn, endGfn, visit);
  }

  /**
   * Exclusive change of a leaf entry found by `walkLeaves` (the caller holds
   * the mmu_lock for write, or is the only thread): leaf -> empty or leaf
   * (a permission change). Checked, then reported to the listener.
   */
  setEntry(table: number, slot: number, level: Level, gfn: number, newWord: number): void {
    const index = table * ENTRIES_PER_TABLE + slot;
    const oldWord = this.pool[index];
    if (!isLeaf(oldWord) || (newWord !== 0 && !isLeaf(newWord))) {
      throw new InvalidTransitionError(`setEntry changes leaves only (level ${level}, gfn 0x${gfn.toString(16)})`);
    }
    if (!this.store.trySet(index, oldWord, newWord)) throw new InvalidTransitionError('an entry changed under an exclusive write');
    this.listener.onLeafChange(gfn, level, oldWord, newWord);
  }

  /**
   * Exclusive: empty the `level` entry of `gfn` holding a table, retiring the subtree
   * (`tdp_mmu_zap_spte_atomic` of a non-leaf SPTE, `handle_removed_pt`); false when no table is there.
   */
  removeTable(gfn: number, level: Level): boolean {
    const index = this.entryIndex(gfn, level);
    const old = index < 0 ? 0 : this.pool[index];
    if (!isTable(old) || !this.store.trySet(index, old, 0)) return false;
    this.retireTable(tablePointerIndex(old), level - 1, alignGfnDown(gfn, level));
    return true;
  }

  /** Link a new table at entry `index` (empty); its index, or -1 when the link lost a race. */
  private linkTable(index: number, nx: boolean): number {
    const store = this.store;
    const child = store.allocTable();
    this.pool = store.words;
    if (nx) store.nxFlags[child] = 1;
    if (!store.trySet(index, 0, makeTablePointer(child))) {
      store.nxFlags[child] = 0;
      store.discardTable(child);
      return -1;
    }
    this.tablesLinked++;
    if (nx) this.nxTablesCreated++;
    return child;
  }

  /**
   * The target entry of `map` (`tdp_mmu_map_handle_target_level`): a frozen
   * entry retries; a leaf that needs no update is spurious; otherwise one
   * `trySet`, then the removed table (if any) is retired with its leaves and
   * the new leaf reported.
   */
  private setTarget(index: number, level: Level, firstGfn: number, leafWord: number): number {
    const old = this.pool[index];
    if (old === 0 && level <= Level.L1G) {
      // The common case, a new leaf in an empty entry.
      if (!this.store.trySet(index, 0, leafWord)) return MAP_RETRY;
      this.listener.onLeafChange(firstGfn, level, 0, leafWord);
      this.lookupLevel = level;
      return MAP_FIXED;
    }
    if (level > Level.L1G) throw new InvalidTransitionError(`leaf at level ${level}`);
    if (old === FROZEN) return MAP_RETRY;
    const oldIsLeaf = isLeaf(old);
    if (oldIsLeaf && (old === leafWord || (this.permOnlyChangeIsSpurious && ((old ^ leafWord) & ~PERM_RWX) === 0))) {
      this.lookupLevel = level;
      return MAP_SPURIOUS;
    }
    if (!this.store.trySet(index, old, leafWord)) return MAP_RETRY;
    if (old !== 0 && !oldIsLeaf) {
      this.replacedTable = true;
      this.retireTable(tablePointerIndex(old), level - 1, firstGfn);
    }
    this.listener.onLeafChange(firstGfn, level, oldIsLeaf ? old : 0, leafWord);
    this.lookupLevel = level;
    return MAP_FIXED;
  }

  /**
   * Retire every entry of a table just unlinked (`handle_removed_pt`): each
   * leaf leaves the counts, each child table is retired in turn, then the
   * table goes back to the store (frozen for good in a shared one).
   */
  private retireTable(table: number, level: Level, baseGfn: number): void {
    const store = this.store;
    const step = pagesPerLevel(level);
    for (let i = 0; i < ENTRIES_PER_TABLE; i++) {
      const word = store.retire(table * ENTRIES_PER_TABLE + i);
      if (word === 0 || word === FROZEN) continue;
      if (isLeaf(word)) this.listener.onLeafChange(baseGfn + i * step, level, word, 0);
      else this.retireTable(tablePointerIndex(word), level - 1, baseGfn + i * step);
    }
    if (table === this.leafTable) this.leafTableTag = -1;
    store.releaseTable(table);
  }

  private walkTable(table: number, level: Level, baseGfn: number, start: number, end: number, visit: LeafVisitor): void {
    const step = pagesPerLevel(level);
    const first = Math.max(0, Math.floor((start - baseGfn) / step));
    const last = Math.min(ENTRIES_PER_TABLE - 1, Math.floor((end - 1 - baseGfn) / step));
    for (let i = first; i <= last; i++) {
      const word = this.pool[table * ENTRIES_PER_TABLE + i];
      if (word === 0) continue;
      const gfn = baseGfn + i * step;
      if (isLeaf(word)) visit(table, i, level, gfn, word);
      else this.walkTable(tablePointerIndex(word), level - 1, gfn, start, end, visit);
    }
  }

  /** Pool index of the entry at `level` for `gfn`, or -1 when a table on the way is missing (a frozen one leads to the sentinel). */
  private entryIndex(gfn: number, level: Level): number {
    let table = ROOT_TABLE;
    for (let tl = this.rootLevel; tl > level; tl--) {
      const word = this.pool[table * ENTRIES_PER_TABLE + tableIndex(gfn, tl)];
      if (!isTable(word)) return -1;
      table = tablePointerIndex(word);
    }
    return table * ENTRIES_PER_TABLE + tableIndex(gfn, level);
  }
}
