/**
 * The stage-2 page table: a radix tree of 512-entry table pages kept in one
 * growable `Int32Array` pool (see `entry.ts` for the word encoding), in the
 * spirit of KVM's TDP MMU (`arch/x86/kvm/mmu/tdp_mmu.c`) and arm64's
 * `hyp/pgtable.c`: one walker visits a half-open GFN range `[start, end)` and
 * every operation is a small visitor; every change of an entry goes through
 * `setEntry`, which checks the transition and reports it to the listener.
 */
import { ENTRIES_PER_TABLE, Level, alignGfnDown, pagesPerLevel, tableIndex } from './level.js';
import { isLeaf, isTable, makeTablePointer, tablePointerIndex } from './entry.js';

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

const NO_LISTENER: LeafChangeListener = { onLeafChange() {} };

/** 1 / ENTRIES_PER_TABLE: multiplying by a power of two is exact in doubles. */
const PER_ENTRY = 1 / ENTRIES_PER_TABLE;

export class PageTable {
  /** Level of the root table: 4 covers 48-bit GPAs, 5 covers 57-bit. */
  readonly rootLevel: Level;
  private pool: Int32Array;
  private capacityTables: number;
  private usedTables = 1;
  private freeList: number[] = [];
  /** Per table page: 1 when created because NX huge pages forbade a huge leaf (`nx_huge_page_disallowed`). */
  private nxFlags: Uint8Array;
  /** Tables `map`/`split` created with the NX flag in their last call (for `nx_lpage_splits`). */
  nxTablesCreated = 0;
  /** True when the last `map` replaced a table of smaller leaves. */
  replacedTable = false;
  /** Table pages currently allocated, the root included. */
  tablesInUse = 1;
  /** Table pages ever allocated below the root (KVM's `mmu_cache_miss`). */
  tablesAllocated = 0;
  /** Level of the leaf found by the last `lookup`, or of the last table visited. */
  lookupLevel: Level = Level.L4K;
  listener: LeafChangeListener = NO_LISTENER;
  /**
   * The 4K table (level 1) the last walk reached, and the GFN of its first
   * frame divided by 512 (-1: none). Consecutive faults mostly land in the
   * same 4K table, so `lookup` and a 4K `map` start there instead of at the
   * root. Valid while that table is allocated: a table pointer is only ever
   * removed together with its table (`removeSubtree` -> `freeTable`, which
   * clears this).
   */
  private leafTable = 0;
  private leafTableTag = -1;

  constructor(rootLevel: Level = Level.L512G, initialTables = 64) {
    this.rootLevel = rootLevel;
    this.capacityTables = initialTables;
    this.pool = new Int32Array(initialTables * ENTRIES_PER_TABLE);
    this.nxFlags = new Uint8Array(initialTables);
  }

  /**
   * Leaf word mapping `gfn`, or 0. Sets `lookupLevel` to the leaf's level.
   * Hot path: no allocation.
   */
  lookup(gfn: number): number {
    const pool = this.pool;
    const tag = Math.floor(gfn * PER_ENTRY);
    if (tag === this.leafTableTag) {
      // The walk would go through the same upper entries to this 4K table.
      this.lookupLevel = Level.L4K;
      return pool[this.leafTable * ENTRIES_PER_TABLE + (gfn - tag * ENTRIES_PER_TABLE)];
    }
    let table = 0;
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
      if (level === Level.L2M) {
        this.leafTable = table;
        this.leafTableTag = tag;
      }
    }
    throw new InvalidTransitionError('table pointer at level 1');
  }

  /**
   * Install leaf `leafWord` at `level` for the frame holding `gfn`, allocating
   * the tables on the way. A present table in the target slot (smaller
   * mappings below) is removed with its leaves first, as
   * `tdp_mmu_map_handle_target_level` replacing a non-leaf SPTE frees the
   * child table (`handle_removed_pt`). Returns the number of table pages
   * allocated.
   *
   * `nxReqLevel`: when NX huge pages forced this mapping below the level the
   * slot allowed, that allowed level; each table linked at an entry level
   * <= it is flagged `nx_huge_page_disallowed` and counted in
   * `nxTablesCreated` (`tdp_mmu_link_sp` + `track_possible_nx_huge_page`).
   */
  map(gfn: number, level: Level, leafWord: number, nxReqLevel: Level = 0 as Level): number {
    let table = 0;
    let allocated = 0;
    this.nxTablesCreated = 0;
    const tag = Math.floor(gfn * PER_ENTRY);
    if (level === Level.L4K && tag === this.leafTableTag) {
      // Every table on the way exists: start at the cached 4K table.
      table = this.leafTable;
      const slot = gfn - tag * ENTRIES_PER_TABLE;
      this.replacedTable = false; // a 4K table holds no table pointers
      this.setEntry(table, slot, level, gfn, leafWord);
      return 0;
    }
    for (let tl = this.rootLevel; tl > level; tl--) {
      const slot = tableIndex(gfn, tl);
      const word = this.pool[table * ENTRIES_PER_TABLE + slot];
      if (word === 0) {
        const child = this.allocTable();
        allocated++;
        if (tl <= nxReqLevel) {
          this.nxFlags[child] = 1;
          this.nxTablesCreated++;
        }
        this.setEntry(table, slot, tl, gfn, makeTablePointer(child));
        table = child;
      } else if (isLeaf(word)) {
        throw new InvalidTransitionError(`map at level ${level} under a level ${tl} leaf (gfn 0x${gfn.toString(16)})`);
      } else {
        table = tablePointerIndex(word);
      }
    }
    if (level === Level.L4K) {
      this.leafTable = table;
      this.leafTableTag = tag;
    }
    const slot = tableIndex(gfn, level);
    const old = this.pool[table * ENTRIES_PER_TABLE + slot];
    this.replacedTable = isTable(old);
    if (this.replacedTable) this.removeSubtree(table, slot, level, gfn);
    // Listeners see a leaf by its first frame.
    this.setEntry(table, slot, level, alignGfnDown(gfn, level), leafWord);
    return allocated;
  }

  /**
   * Replace the huge leaf holding `gfn` at `level` by a table of 512 leaves one
   * level down with the same bits (`tdp_mmu_split_huge_page`). Returns the new
   * table's index. `nx` flags the new table as made for NX huge pages.
   */
  split(gfn: number, level: Level, nx = false): number {
    const { table, slot } = this.findEntry(gfn, level);
    const word = this.pool[table * ENTRIES_PER_TABLE + slot];
    if (!isLeaf(word) || level === Level.L4K) {
      throw new InvalidTransitionError(`split of a non-huge entry at level ${level}`);
    }
    const child = this.allocTable();
    this.nxFlags[child] = nx ? 1 : 0;
    const childLevel = level - 1;
    const base = gfn - (gfn % pagesPerLevel(level));
    const step = pagesPerLevel(childLevel);
    // Remove the huge leaf first so the listener never sees both at once.
    this.setEntry(table, slot, level, base, 0);
    for (let i = 0; i < ENTRIES_PER_TABLE; i++) {
      this.setEntry(child, i, childLevel, base + i * step, word);
    }
    this.setEntry(table, slot, level, base, makeTablePointer(child));
    return child;
  }

  /**
   * `disallowed_hugepage_adjust`: starting from `goal`, step down while the
   * entry at that level for `gfn` is a table made for NX huge pages.
   */
  nxAdjustedLevel(gfn: number, goal: Level): Level {
    let table = 0;
    for (let tl = this.rootLevel; tl >= Level.L4K; tl--) {
      const word = this.pool[table * ENTRIES_PER_TABLE + tableIndex(gfn, tl)];
      if (!isTable(word)) return goal;
      table = tablePointerIndex(word);
      if (tl === goal && goal > Level.L4K) {
        if (this.nxFlags[table] === 0) return goal;
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
    walk(0, this.rootLevel, 0);
  }

  /** Replace the leaf at `level` holding `gfn` by `leafWord` (a permission change). */
  updateLeaf(gfn: number, level: Level, leafWord: number): void {
    const { table, slot } = this.findEntry(gfn, level);
    if (!isLeaf(this.pool[table * ENTRIES_PER_TABLE + slot])) {
      throw new InvalidTransitionError(`no leaf at level ${level} for gfn 0x${gfn.toString(16)}`);
    }
    this.setEntry(table, slot, level, gfn - (gfn % pagesPerLevel(level)), leafWord);
  }

  /**
   * Visit every present leaf overlapping `[startGfn, endGfn)`, in GFN order.
   * A huge leaf only partly inside the range is visited whole.
   */
  walkLeaves(startGfn: number, endGfn: number, visit: LeafVisitor): void {
    if (endGfn <= startGfn) return;
    this.walkTable(0, this.rootLevel, 0, startGfn, endGfn, visit);
  }

  /**
   * The one function that changes an entry. Allowed transitions: empty ->
   * leaf or table; leaf -> empty or leaf (permission change); table -> empty
   * or leaf only once its child is freed (callers go through `removeSubtree`).
   */
  setEntry(table: number, slot: number, level: Level, gfn: number, newWord: number): void {
    const index = table * ENTRIES_PER_TABLE + slot;
    const oldWord = this.pool[index];
    if (oldWord === 0 && isLeaf(newWord) && level <= Level.L1G) {
      // The common case, a new leaf in an empty entry (the checks below pass).
      this.pool[index] = newWord;
      this.listener.onLeafChange(gfn, level, 0, newWord);
      return;
    }
    if (isTable(oldWord) && newWord !== 0 && !isLeaf(newWord)) {
      throw new InvalidTransitionError('table pointer replaced by another table pointer');
    }
    if (isTable(newWord) && isLeaf(oldWord)) {
      // Only `split` does this, after removing the leaf.
      throw new InvalidTransitionError('leaf replaced by a table without a split');
    }
    if (isLeaf(newWord) && level > Level.L1G) {
      throw new InvalidTransitionError(`leaf at level ${level}`);
    }
    this.pool[index] = newWord;
    if (isLeaf(oldWord) || isLeaf(newWord)) {
      this.listener.onLeafChange(gfn, level, isLeaf(oldWord) ? oldWord : 0, isLeaf(newWord) ? newWord : 0);
    }
  }

  /** Zap every leaf below the table pointer at (`table`, `slot`) and free the tables. */
  private removeSubtree(table: number, slot: number, level: Level, gfn: number): void {
    const child = tablePointerIndex(this.pool[table * ENTRIES_PER_TABLE + slot]);
    const base = gfn - (gfn % pagesPerLevel(level));
    this.clearTable(child, level - 1, base);
    this.setEntry(table, slot, level, base, 0);
  }

  private clearTable(table: number, level: Level, baseGfn: number): void {
    const step = pagesPerLevel(level);
    for (let i = 0; i < ENTRIES_PER_TABLE; i++) {
      const word = this.pool[table * ENTRIES_PER_TABLE + i];
      if (word === 0) continue;
      if (isLeaf(word)) this.setEntry(table, i, level, baseGfn + i * step, 0);
      else {
        this.clearTable(tablePointerIndex(word), level - 1, baseGfn + i * step);
        this.setEntry(table, i, level, baseGfn + i * step, 0);
      }
    }
    this.freeTable(table);
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

  private findEntry(gfn: number, level: Level): { table: number; slot: number } {
    let table = 0;
    for (let tl = this.rootLevel; tl > level; tl--) {
      const word = this.pool[table * ENTRIES_PER_TABLE + tableIndex(gfn, tl)];
      if (!isTable(word)) throw new InvalidTransitionError(`no table at level ${tl} for gfn 0x${gfn.toString(16)}`);
      table = tablePointerIndex(word);
    }
    return { table, slot: tableIndex(gfn, level) };
  }

  private allocTable(): number {
    this.tablesAllocated++;
    this.tablesInUse++;
    const reused = this.freeList.pop();
    if (reused !== undefined) return reused;
    if (this.usedTables === this.capacityTables) {
      this.capacityTables *= 2;
      const grown = new Int32Array(this.capacityTables * ENTRIES_PER_TABLE);
      grown.set(this.pool);
      this.pool = grown;
      const flags = new Uint8Array(this.capacityTables);
      flags.set(this.nxFlags);
      this.nxFlags = flags;
    }
    return this.usedTables++;
  }

  private freeTable(table: number): void {
    if (table === this.leafTable) this.leafTableTag = -1;
    this.pool.fill(0, table * ENTRIES_PER_TABLE, (table + 1) * ENTRIES_PER_TABLE);
    this.nxFlags[table] = 0;
    this.freeList.push(table);
    this.tablesInUse--;
  }
}
