/**
 * The stage-2 table of the per-vCPU replay: the same radix tree and word
 * encoding as `src/mmu/pageTable.ts` (`entry.ts`), but its pool of 512-entry
 * table pages lives in one SharedArrayBuffer that every vCPU worker maps, and
 * entries change only by `Atomics.compareExchange`, as KVM's TDP MMU changes
 * SPTEs under the read lock: `tdp_mmu_set_spte_atomic` ->
 * `__tdp_mmu_set_spte_atomic` -> `try_cmpxchg64` (arch/x86/kvm/mmu/tdp_mmu.c),
 * arm64's `stage2_try_set_pte` with KVM_PGTABLE_WALK_SHARED (hyp/pgtable.c).
 *
 * `PageTable` cannot be shared (a growable private `Int32Array`, plain stores
 * and a listener per change), so this is a second, small table for the ops the
 * per-vCPU mode supports: fault installs, permission relaxes, table-by-leaf
 * replacement, and range zap / write-protect under the write lock. Tables
 * come from a bump counter (`Atomics.add`); a table that lost a link race goes
 * back to its worker's cache (KVM's per-vCPU `mmu_page_cache`); a table that a
 * huge leaf replaced is frozen and never reused (KVM frees it after an RCU
 * grace period, which no walker here can observe ending).
 *
 * Counts are deltas kept per instance (one instance per worker) in `stats`;
 * the run adds them up.
 */
import { ENTRIES_PER_TABLE, Level, pagesPerLevel, tableIndex } from '../../mmu/level.js';
import { isLeaf, makeTablePointer, tablePointerIndex } from '../../mmu/entry.js';
import { VmStats } from '../../mmu/stats.js';
import { MMU_LOCK_WORDS, MmuLock } from './mmuLock.js';

/**
 * A frozen entry: the slot of a removed table's child, which installers must
 * not touch (KVM's FROZEN_SPTE, formerly REMOVED_SPTE, set by
 * `handle_removed_pt`). Hardware walks see it as not present.
 */
export const FROZEN = -2;

/** `prepare` results below 0. */
export const PREPARE_RETRY = -1;
export const PREPARE_LEAF_ABOVE = -2;

/** Outcome of one install attempt (`installLeaf`, `relaxLeaf`). */
export const enum Install {
  /** The entry changed as asked (RET_PF_FIXED). */
  Fixed = 0,
  /** Another vCPU already made the change (RET_PF_SPURIOUS; arm64 -EAGAIN from `stage2_pte_needs_update`). */
  Spurious = 1,
  /** A cmpxchg lost, or a frozen entry was met: the guest re-executes (RET_PF_RETRY). */
  Retry = 2,
}

const NEXT_TABLE = 0;
const CAPACITY = 1;
const ROOT_LEVEL = 2;
const LOCK_WORD = 4;
/** Bytes before the pool: 16 Int32 header words. */
const HEADER_BYTES = 64;

export class SharedPageTable {
  readonly rootLevel: Level;
  readonly lock: MmuLock;
  /** Per-instance deltas: pages_*, pages_private/shared/device/normal, mmu_pages. */
  stats = new VmStats();
  /** cmpxchg failures (lost races) seen by this instance. */
  installRaces = 0;
  /** Level of the leaf the last `lookup`/`leafIndex` found, or where the walk stopped. */
  lookupLevel: Level = Level.L4K;
  /** After `installLeaf`/`commitLeaf`: true when the leaf replaced a table (the caller flushes its range). */
  replacedTable = false;
  /** After `zapRange`/`writeProtectRange`: the frames changed, `[changedStart, changedEnd)` (empty when start >= end). */
  changedStart = Infinity;
  changedEnd = -Infinity;
  private readonly header: Int32Array;
  private readonly pool: Int32Array;
  private readonly capacity: number;
  /** Zeroed tables this instance allocated but lost a link race with. */
  private readonly cache: number[] = [];

  constructor(readonly buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.capacity = this.header[CAPACITY];
    this.rootLevel = this.header[ROOT_LEVEL] as Level;
    this.pool = new Int32Array(buffer, HEADER_BYTES, this.capacity * ENTRIES_PER_TABLE);
    this.lock = new MmuLock(buffer, LOCK_WORD * 4);
  }

  /** A zeroed shared table of `capacityTables` pages (the root included). */
  static allocate(rootLevel: Level, capacityTables: number): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(HEADER_BYTES + capacityTables * ENTRIES_PER_TABLE * 4);
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    header[NEXT_TABLE] = 1;
    header[CAPACITY] = capacityTables;
    header[ROOT_LEVEL] = rootLevel;
    return buffer;
  }

  /** Table pages handed out so far (the root included). */
  get tablesUsed(): number {
    return Atomics.load(this.header, NEXT_TABLE);
  }

  /**
   * The hardware walk: leaf word mapping `gfn`, or 0 (frozen counts as not
   * present). Plain reads, no lock, no allocation: it may see a value a
   * moment old, which the fault path then re-reads under the lock.
   */
  lookup(gfn: number): number {
    const pool = this.pool;
    let table = 0;
    for (let level = this.rootLevel; level >= Level.L4K; level--) {
      const word = pool[table * ENTRIES_PER_TABLE + tableIndex(gfn, level)];
      if (word === 0 || word === FROZEN) {
        this.lookupLevel = level;
        return 0;
      }
      if (isLeaf(word)) {
        this.lookupLevel = level;
        return word;
      }
      table = tablePointerIndex(word);
    }
    return 0;
  }

  /** Current value of pool entry `index` (for `commitLeaf`'s expected old value). */
  entry(index: number): number {
    return Atomics.load(this.pool, index);
  }

  /**
   * Walk to the entry that maps `gfn` at `level`, linking missing tables by
   * cmpxchg (`tdp_mmu_link_sp` -> `tdp_mmu_set_spte_atomic`). Returns the pool
   * index of that entry, `PREPARE_RETRY` when a link lost its race or a frozen
   * entry was met (KVM frees the table and returns RET_PF_RETRY), or
   * `PREPARE_LEAF_ABOVE` when a larger leaf already covers `gfn` (its level in
   * `lookupLevel`).
   */
  prepare(gfn: number, level: Level): number {
    const pool = this.pool;
    let table = 0;
    for (let tl = this.rootLevel; tl > level; tl--) {
      const index = table * ENTRIES_PER_TABLE + tableIndex(gfn, tl);
      let word = Atomics.load(pool, index);
      if (word === 0) {
        const child = this.allocTable();
        const pointer = makeTablePointer(child);
        const seen = Atomics.compareExchange(pool, index, 0, pointer);
        if (seen !== 0) {
          this.installRaces++;
          this.cache.push(child);
          return PREPARE_RETRY;
        }
        this.stats.mmu_pages++;
        word = pointer;
      }
      if (word === FROZEN) return PREPARE_RETRY;
      if (isLeaf(word)) {
        this.lookupLevel = tl;
        return PREPARE_LEAF_ABOVE;
      }
      table = tablePointerIndex(word);
    }
    return table * ENTRIES_PER_TABLE + tableIndex(gfn, level);
  }

  /**
   * Set entry `index` (an entry at `level`) from `oldWord` to the leaf
   * `leafWord` by one cmpxchg. False (and a race counted) when the entry no
   * longer holds `oldWord`. A table replaced by the leaf is removed as
   * `handle_removed_pt` removes it: every child entry frozen by exchange, its
   * leaves counted gone; `replacedTable` tells the caller to flush.
   */
  commitLeaf(index: number, level: Level, oldWord: number, leafWord: number): boolean {
    if (Atomics.compareExchange(this.pool, index, oldWord, leafWord) !== oldWord) {
      this.installRaces++;
      return false;
    }
    this.replacedTable = oldWord !== 0 && !isLeaf(oldWord);
    if (this.replacedTable) this.freezeTable(tablePointerIndex(oldWord), level - 1);
    else if (oldWord !== 0) this.stats.countLeaf(level, oldWord, -1);
    this.stats.countLeaf(level, leafWord, 1);
    return true;
  }

  /**
   * One fault's install of `leafWord` at `level` for `gfn`: `prepare`, then
   * `commitLeaf` from an empty entry or a table (as
   * `tdp_mmu_map_handle_target_level`). An entry already holding a leaf is
   * spurious: another vCPU fixed the fault first.
   */
  installLeaf(gfn: number, level: Level, leafWord: number): Install {
    this.replacedTable = false;
    const index = this.prepare(gfn, level);
    if (index === PREPARE_RETRY) return Install.Retry;
    if (index === PREPARE_LEAF_ABOVE) return Install.Spurious;
    const old = Atomics.load(this.pool, index);
    if (old === FROZEN) return Install.Retry;
    if (isLeaf(old)) {
      this.lookupLevel = level;
      return Install.Spurious;
    }
    return this.commitLeaf(index, level, old, leafWord) ? Install.Fixed : Install.Retry;
  }

  /**
   * Permission fault: add `perms` to the leaf mapping `gfn` by cmpxchg
   * (`fast_page_fault` / `fast_pf_fix_direct_spte`; arm64
   * `kvm_pgtable_stage2_relax_perms`). Spurious when the leaf already has
   * them, retry when it is gone or the cmpxchg lost.
   */
  relaxLeaf(gfn: number, perms: number): Install {
    const index = this.leafIndex(gfn);
    if (index < 0) return Install.Retry;
    const old = Atomics.load(this.pool, index);
    if (!isLeaf(old)) return Install.Retry;
    if ((old & perms) === perms) return Install.Spurious;
    if (Atomics.compareExchange(this.pool, index, old, old | perms) !== old) {
      this.installRaces++;
      return Install.Retry;
    }
    return Install.Fixed;
  }

  /** Pool index of the leaf mapping `gfn` (atomic reads), its level in `lookupLevel`; -1 when none. */
  leafIndex(gfn: number): number {
    let table = 0;
    for (let level = this.rootLevel; level >= Level.L4K; level--) {
      const index = table * ENTRIES_PER_TABLE + tableIndex(gfn, level);
      const word = Atomics.load(this.pool, index);
      if (word === 0 || word === FROZEN) return -1;
      if (isLeaf(word)) {
        this.lookupLevel = level;
        return index;
      }
      table = tablePointerIndex(word);
    }
    return -1;
  }

  /**
   * Zap every leaf overlapping `[startGfn, endGfn)` (a huge leaf partly
   * inside as a whole), as `kvm_tdp_mmu_unmap_gfn_range` under the write
   * lock. The caller holds `lock` for write. Changed frames in `changedStart/End`.
   */
  zapRange(startGfn: number, endGfn: number): void {
    this.changeRange(startGfn, endGfn, -1);
  }

  /** Clear `perms` in every leaf overlapping the range (`kvm_mmu_slot_remove_write_access` style); write lock held. */
  clearPermsRange(startGfn: number, endGfn: number, perms: number): void {
    this.changeRange(startGfn, endGfn, perms);
  }

  /**
   * Visit every present leaf overlapping `[startGfn, endGfn)` in GFN order
   * (verification and snapshots; not for the hot path).
   */
  walkLeaves(startGfn: number, endGfn: number, visit: (gfn: number, level: Level, word: number) => void): void {
    const walk = (table: number, level: Level, baseGfn: number): void => {
      const step = pagesPerLevel(level);
      const first = Math.max(0, Math.floor((startGfn - baseGfn) / step));
      const last = Math.min(ENTRIES_PER_TABLE - 1, Math.floor((endGfn - 1 - baseGfn) / step));
      for (let i = first; i <= last; i++) {
        const word = Atomics.load(this.pool, table * ENTRIES_PER_TABLE + i);
        if (word === 0 || word === FROZEN) continue;
        if (isLeaf(word)) visit(baseGfn + i * step, level, word);
        else walk(tablePointerIndex(word), level - 1, baseGfn + i * step);
      }
    };
    if (endGfn > startGfn) walk(0, this.rootLevel, 0);
  }

  /** `perms` < 0: zap; else clear those permission bits. */
  private changeRange(startGfn: number, endGfn: number, perms: number): void {
    this.changedStart = Infinity;
    this.changedEnd = -Infinity;
    const walk = (table: number, level: Level, baseGfn: number): void => {
      const step = pagesPerLevel(level);
      const first = Math.max(0, Math.floor((startGfn - baseGfn) / step));
      const last = Math.min(ENTRIES_PER_TABLE - 1, Math.floor((endGfn - 1 - baseGfn) / step));
      for (let i = first; i <= last; i++) {
        const index = table * ENTRIES_PER_TABLE + i;
        const word = Atomics.load(this.pool, index);
        if (word === 0 || word === FROZEN) continue;
        const gfn = baseGfn + i * step;
        if (!isLeaf(word)) {
          walk(tablePointerIndex(word), level - 1, gfn);
          continue;
        }
        if (perms >= 0 && (word & perms) === 0) continue;
        Atomics.store(this.pool, index, perms < 0 ? 0 : word & ~perms);
        if (perms < 0) this.stats.countLeaf(level, word, -1);
        this.changedStart = Math.min(this.changedStart, gfn);
        this.changedEnd = Math.max(this.changedEnd, gfn + step);
      }
    };
    if (endGfn > startGfn) walk(0, this.rootLevel, 0);
  }

  /** Freeze every entry of a removed table (its leaves leave the counts); the table is never reused. */
  private freezeTable(table: number, level: Level): void {
    for (let i = 0; i < ENTRIES_PER_TABLE; i++) {
      const word = Atomics.exchange(this.pool, table * ENTRIES_PER_TABLE + i, FROZEN);
      if (word === 0 || word === FROZEN) continue;
      if (isLeaf(word)) this.stats.countLeaf(level, word, -1);
      else this.freezeTable(tablePointerIndex(word), level - 1);
    }
  }

  private allocTable(): number {
    const cached = this.cache.pop();
    if (cached !== undefined) return cached;
    const table = Atomics.add(this.header, NEXT_TABLE, 1);
    if (table >= this.capacity) {
      throw new Error(`per-vcpu: the shared stage-2 table is full (${this.capacity} table pages); this trace needs more than its memslots predicted`);
    }
    return table;
  }
}

/** Int32 words the header reserves for the lock (checked at load time). */
if (LOCK_WORD + MMU_LOCK_WORDS > HEADER_BYTES / 4) throw new Error('sharedPageTable: header too small for the lock');
