/**
 * One TLB array: set-associative, LRU, holding translations of the page sizes
 * it is built for (a real L1 has one array per page size; a unified L2 holds
 * 4K and 2M in one). Entries are tagged by the translation's first frame
 * number — stolen bits included, so GPA aliases occupy separate entries — and
 * its level; the set is the page number at its own size modulo the set count.
 *
 * Flat typed arrays, no allocation on lookup or fill (as drcachesim's
 * `tlb_simulator` keeps the model apart from the trace and the statistics).
 */
import { Level, LEAF_LEVELS, pageNumber, pagesPerLevel } from '../mmu/level.js';
import { type FirstPlaceIndex, touchStamp } from './firstPlaceIndex.js';
import { turnAfter, victimOf } from './lruVictim.js';
import { tlbTag, tlbTagFirstGfn } from './tlbTag.js';

const EMPTY = -1;
/** Per leaf level: frames per page, and the GFN shift giving the page number (exact below 2^31). */
const PAGES_AT = Float64Array.from([0, ...LEAF_LEVELS.map((level) => pagesPerLevel(level))]);
const SHIFT_AT = Int32Array.from([0, ...LEAF_LEVELS.map((level) => Math.log2(pagesPerLevel(level)))]);
/** GFNs below this fit in 31 bits, where `>>>` gives the page number exactly. */
const SMALL_GFN_LIMIT = 2 ** 31;
/** `flushAll` visits set by set while fewer than 1 / SPARSE_FLUSH_RATIO of the entries are valid. */
const SPARSE_FLUSH_RATIO = 8;
/** Signature buckets per set of the miss filter (a power of two). */
const SIG_BUCKETS = 32;

/** Told about a TLB entry: its translation's first frame, level and permission bits. */
export type EntryVisitor = (firstGfn: number, level: Level, perms: number) => void;

export class TlbArray {
  readonly entries: number;
  readonly ways: number;
  readonly sets: number;
  /** Bit `1 << level` set for each level this array holds. */
  readonly levelMask: number;
  /** `firstGfn * 4 + level`, or -1. Exact in a double up to 2^51 frames. */
  private readonly tags: Float64Array;
  /** Permission bits of each entry (entry.ts PERM_*). */
  private readonly perms: Uint8Array;
  /**
   * Level of each valid entry (`tag % 4`, kept apart because `%` on a double
   * tag is a slow floating-point remainder).
   */
  private readonly levels: Uint8Array;
  /**
   * LRU order: per slot, the time of its last fill or use (`clock` counts
   * them). Using an entry is one store; a full set's victim is its valid
   * entry with the oldest stamp (`victimOf`, lruVictim.ts: mostly known from the fill
   * order, else found by scanning the ways). Stamps are unique, so this is
   * exactly the LRU order. Attached to a `FirstPlaceIndex`, both live there.
   */
  private stamps: Float64Array;
  private clock = new Float64Array(1);
  /** Per slot: the stamp of its last fill (equal to its stamp while unused since). */
  private readonly fillStamps: Float64Array;
  /**
   * Per set: the way its next fill would replace if the set's fills have gone
   * round in order (see `victimOf`), or -1 when they have not.
   */
  private readonly fillCursor: Int32Array;
  /** Set of each slot (`slot / ways`, without a division on the hot path). */
  private readonly setOfSlot: Int32Array;
  /** Valid entries per set. */
  private readonly setValid: Int32Array;
  /** Valid entries per level, so lookups skip page sizes not in use. */
  private readonly validPerLevel = new Int32Array(4);
  /** `sets - 1` when the set count is a power of two (mask instead of modulo), else -1. */
  private readonly setMask: number;
  /** log2(sets) when the set count is a power of two, else -1. */
  private readonly setShift: number;
  /**
   * Miss filter: per set and signature bucket (`sigOf`), the number of valid
   * entries whose (page, level) hashes there. A zero count proves the set
   * holds no such entry, so a lookup or fill skips scanning its ways; it
   * never changes which entry is found or evicted.
   */
  private readonly sigCounts: Int32Array;
  /** Per valid entry: its bucket index in `sigCounts`. */
  private readonly sigIndex: Int32Array;
  /**
   * Per bucket: the slot its last fill wrote (0 before any). A probe checks
   * that slot's tag first and scans the ways only when it is not the entry:
   * tags are unique in an array, so the slot found is the same either way.
   */
  private readonly sigSlot: Int32Array;
  /** Permission bits of the entry found by the last successful `lookup`. */
  hitPerms = 0;
  /** `attachFirstPlace`'s index (or undefined), hierarchy, permission bits served, levels (bit `1 << level`), where the stamps start. */
  private firstPlace: FirstPlaceIndex | undefined;
  private firstPlaceHierarchy = 0;
  private firstPlacePerms = 0;
  private firstPlaceLevels = 0;
  private firstPlaceStamps = 0;
  /** Per slot: the permission bits its entry is indexed for in `firstPlace` (0: not indexed); and the slots indexed. */
  private readonly firstPlaceKinds: Uint8Array;
  private firstPlaceIndexed = 0;

  constructor(entries: number, ways: number, levels: readonly Level[] = LEAF_LEVELS) {
    if (!Number.isInteger(entries) || entries < 1) throw new RangeError('TLB entries must be a positive integer');
    if (!Number.isInteger(ways) || ways < 1 || entries % ways !== 0) {
      throw new RangeError('TLB ways must divide the entry count');
    }
    this.entries = entries;
    this.ways = ways;
    this.sets = entries / ways;
    this.setMask = (this.sets & (this.sets - 1)) === 0 ? this.sets - 1 : -1;
    this.setShift = this.setMask >= 0 ? Math.log2(this.sets) : -1;
    this.sigCounts = new Int32Array(this.sets * SIG_BUCKETS);
    this.sigIndex = new Int32Array(entries);
    this.sigSlot = new Int32Array(this.sets * SIG_BUCKETS);
    this.levelMask = levels.reduce((mask, level) => mask | (1 << level), 0);
    this.tags = new Float64Array(entries).fill(EMPTY);
    this.perms = new Uint8Array(entries);
    this.levels = new Uint8Array(entries);
    this.stamps = new Float64Array(entries);
    this.firstPlaceKinds = new Uint8Array(entries);
    this.fillStamps = new Float64Array(entries);
    this.fillCursor = new Int32Array(this.sets);
    this.setValid = new Int32Array(this.sets);
    this.setOfSlot = Int32Array.from({ length: entries }, (_, slot) => Math.floor(slot / ways));
  }

  /** Before the first fill: keep this array's entries of `levels` (bits `1 << level`) in `index` as hierarchy `h`'s first places for the kinds of `permsServed`, its stamps at `stampOffset` there. */
  attachFirstPlace(index: FirstPlaceIndex, h: number, permsServed: number, levels: number, stampOffset: number): void {
    if (this.validEntries() !== 0 || this.clock[0] !== 0) throw new Error('attachFirstPlace: the array is in use');
    if (stampOffset + this.entries > index.stampsPerHierarchy) throw new Error('attachFirstPlace: no room for its stamps');
    this.firstPlace = index;
    this.firstPlaceHierarchy = h;
    this.firstPlacePerms = permsServed;
    this.firstPlaceLevels = levels;
    this.firstPlaceStamps = index.stampBase(h, stampOffset);
    this.stamps = index.stamps.subarray(this.firstPlaceStamps, this.firstPlaceStamps + this.entries);
    this.clock = index.clock;
  }

  /**
   * A probe found the entry in valid `slot`: into the first-place index if of
   * an attached level (not at its fill: a fault-heavy replay fills entries it
   * never uses again); true when it is.
   */
  indexFirstPlace(slot: number): boolean {
    const served = this.perms[slot] & this.firstPlacePerms; // 0 when not attached
    const level = this.levels[slot];
    if (served === 0 || (this.firstPlaceLevels & (1 << level)) === 0) return false; // 4K or 2M, attached
    this.firstPlace!.put(this.firstPlaceHierarchy, level, served, this.firstGfnAt(slot), this.firstPlaceStamps + slot);
    if (this.firstPlaceKinds[slot] === 0) this.firstPlaceIndexed++;
    this.firstPlaceKinds[slot] = served;
    return true;
  }

  /** Take the entry in valid `slot` out of the first-place index, if there: it is about to change. */
  private unindexFirstPlace(slot: number): void {
    const kinds = this.firstPlaceKinds[slot];
    if (kinds === 0) return;
    this.firstPlace!.remove(this.firstPlaceHierarchy, this.levels[slot], kinds, this.firstGfnAt(slot));
    this.firstPlaceKinds[slot] = 0;
    this.firstPlaceIndexed--;
  }

  /** True when this array can hold a translation of `level`. */
  holds(level: Level): boolean {
    return (this.levelMask & (1 << level)) !== 0;
  }

  /**
   * Level of the entry translating `gfn`, or 0 on a miss. A hit refreshes the
   * entry's LRU position (most recent) and sets `hitPerms`.
   */
  lookup(gfn: number): number {
    const slot = this.probe(gfn);
    if (slot < 0) return 0;
    this.touch(slot);
    this.hitPerms = this.perms[slot];
    return this.levels[slot];
  }

  /**
   * Slot of the entry translating `gfn`, or -1; changes nothing (a hit is
   * completed by `touch`, as `lookup` does). Page sizes are probed smallest
   * first, skipping sizes with no valid entry and sets whose miss filter
   * proves the page absent.
   */
  probe(gfn: number): number {
    const ways = this.ways;
    const valid = this.validPerLevel;
    const small = gfn < SMALL_GFN_LIMIT;
    for (let level = Level.L4K; level <= Level.L1G; level++) {
      if (valid[level] === 0) continue;
      const page = small ? gfn >>> SHIFT_AT[level] : pageNumber(gfn, level);
      const set = this.setOf(page);
      const sig = this.sigOf(page, set, level);
      if (this.sigCounts[sig] === 0) continue; // no entry of this page in its set
      const slot = this.slotOfTag(tlbTag(page * PAGES_AT[level], level), sig, set * ways);
      if (slot >= 0) return slot;
    }
    return -1;
  }

  /**
   * Slot of `set`'s entry tagged `tag` (ways from `base`), or -1. The bucket
   * `sig`'s last fill is checked first, mostly the entry; else the ways are
   * scanned (tags are unique in an array, so either finds the same slot).
   */
  private slotOfTag(tag: number, sig: number, base: number): number {
    const tags = this.tags;
    const hint = this.sigSlot[sig];
    if (tags[hint] === tag) return hint;
    const end = base + this.ways;
    for (let i = base; i < end; i++) if (tags[i] === tag) return i;
    return -1;
  }

  /** Level of the entry in `slot` (valid slots only). */
  levelAt(slot: number): Level {
    return this.levels[slot] as Level;
  }

  /**
   * Insert the translation of `gfn` at `level`, evicting the set's LRU entry.
   * `absent`: the caller knows no entry has this tag (its lookup just found
   * none), so the ways are not searched for one; the victim is the same.
   */
  fill(gfn: number, level: Level, perms: number, absent = false): void {
    const page = gfn < SMALL_GFN_LIMIT ? gfn >>> SHIFT_AT[level] : pageNumber(gfn, level);
    const tag = tlbTag(page * PAGES_AT[level], level);
    const set = this.setOf(page);
    const sig = this.sigOf(page, set, level);
    const base = set * this.ways;
    const tags = this.tags;
    const sigCounts = this.sigCounts;
    // Victim: the entry already holding this tag, else the first empty way,
    // else the least recently used (the oldest stamp).
    let victim = !absent && sigCounts[sig] !== 0 ? this.slotOfTag(tag, sig, base) : -1;
    const full = this.setValid[set] === this.ways;
    if (victim < 0) {
      if (full) victim = victimOf(this.stamps, this.fillStamps, this.fillCursor[set], base, this.ways);
      else {
        victim = base;
        while (tags[victim] !== EMPTY) victim++;
      }
    }
    // Replace the victim (as `drop` then insert, its set known).
    const valid = this.validPerLevel;
    if (tags[victim] !== EMPTY) {
      if (this.firstPlaceKinds[victim] !== 0) this.unindexFirstPlace(victim);
      // Refilling or replacing a valid entry makes it the most recently filled: in turn only at the cursor of a full set.
      this.fillCursor[set] = full ? turnAfter(this.fillCursor[set], base, victim, this.ways) : -1;
      valid[this.levels[victim]]--;
      sigCounts[this.sigIndex[victim]]--;
    } else {
      this.setValid[set]++;
    }
    sigCounts[sig]++;
    this.sigIndex[victim] = sig;
    this.sigSlot[sig] = victim;
    tags[victim] = tag;
    this.levels[victim] = level;
    this.perms[victim] = perms;
    valid[level]++;
    this.fillStamps[victim] = touchStamp(this.stamps, this.clock, victim);
  }

  /** Tag of `slot` (`firstGfn * 4 + level`, or -1 when empty): lets a caller check a slot it remembered still holds its entry. */
  tagAt(slot: number): number {
    return this.tags[slot];
  }

  /** Permission bits of the entry in `slot`. */
  permsAt(slot: number): number {
    return this.perms[slot];
  }

  /** Make the entry in `slot` the most recent of its set, exactly as a `lookup` hitting it does. */
  touch(slot: number): void {
    touchStamp(this.stamps, this.clock, slot);
  }

  /**
   * Drop every entry; returns how many were valid. `onDrop`, if given, sees
   * each one first, in slot order. With few entries valid (a TLB flushed
   * often refills little in between), only the sets holding some are
   * visited and each entry's counts cleared; else one pass over every slot,
   * then the counts are reset in bulk. Either leaves the state `drop` of
   * each entry would: every set empty, its fill cursor 0.
   */
  flushAll(onDrop?: EntryVisitor): number {
    // Empty already (a flush per leaf, as pKVM's, flushes an empty TLB again and again): each set's cursor
    // is 0 once it is empty (`drop`), so every array is as the pass below would leave it.
    const valid = this.validEntries();
    if (valid === 0) return 0;
    if (valid * SPARSE_FLUSH_RATIO < this.entries) this.dropEachSet(onDrop);
    else this.dropAllSlots(onDrop);
    this.validPerLevel.fill(0);
    return valid;
  }

  /** `flushAll` of a sparse array: the sets holding entries, way by way. */
  private dropEachSet(onDrop: EntryVisitor | undefined): void {
    const tags = this.tags;
    const ways = this.ways;
    for (let set = 0; set < this.sets; set++) {
      if (this.setValid[set] === 0) continue; // empty: its cursor is 0 already
      for (let i = set * ways, end = i + ways; i < end; i++) {
        if (tags[i] === EMPTY) continue;
        onDrop?.(this.firstGfnAt(i), this.levels[i], this.perms[i]);
        this.unindexFirstPlace(i);
        this.sigCounts[this.sigIndex[i]]--;
        tags[i] = EMPTY;
      }
      this.setValid[set] = 0;
      this.fillCursor[set] = 0;
    }
  }

  /** `flushAll` of a dense array: one pass over every slot, the counts reset in bulk. */
  private dropAllSlots(onDrop: EntryVisitor | undefined): void {
    if (onDrop !== undefined) this.forEachEntry(onDrop);
    if (this.firstPlaceIndexed > 0) for (let i = 0; i < this.entries; i++) this.unindexFirstPlace(i);
    this.tags.fill(EMPTY);
    this.sigCounts.fill(0);
    this.setValid.fill(0);
    this.fillCursor.fill(0);
  }

  /**
   * Drop the entries whose translation overlaps `[startGfn, endGfn)`; returns
   * how many. `onDrop`, if given, sees each one just before it goes.
   */
  flushRange(startGfn: number, endGfn: number, onDrop?: EntryVisitor): number {
    if (this.validEntries() === 0) return 0;
    let dropped = 0;
    for (let i = 0; i < this.entries; i++) {
      if (this.tags[i] === EMPTY) continue;
      const level = this.levels[i];
      const first = this.firstGfnAt(i);
      if (first < endGfn && first + pagesPerLevel(level) > startGfn) {
        if (onDrop !== undefined) onDrop(first, level, this.perms[i]);
        this.drop(i);
        dropped++;
      }
    }
    return dropped;
  }

  /**
   * Call `visit(firstGfn, level, perms)` for every valid entry (flush
   * accounting and the coherence check; not a hot path).
   */
  forEachEntry(visit: EntryVisitor): void {
    for (let i = 0; i < this.entries; i++) if (this.tags[i] !== EMPTY) visit(this.firstGfnAt(i), this.levels[i], this.perms[i]);
  }

  /** First frame of the translation in valid `slot` (its tag is `tlbTag(firstGfn, level)`, `fill`). */
  private firstGfnAt(slot: number): number {
    return tlbTagFirstGfn(this.tags[slot], this.levels[slot] as Level);
  }

  /** Number of valid entries of levels below `level` (all of them for Level.L1G + 1). */
  validBelow(level: number): number {
    let count = 0;
    for (let l = Level.L4K; l < level && l <= Level.L1G; l++) count += this.validPerLevel[l];
    return count;
  }

  /** Number of valid entries. */
  validEntries(): number {
    const valid = this.validPerLevel;
    return valid[Level.L4K] + valid[Level.L2M] + valid[Level.L1G];
  }

  private drop(i: number): void {
    const tag = this.tags[i];
    if (tag === EMPTY) return;
    this.unindexFirstPlace(i);
    this.validPerLevel[this.levels[i]]--;
    this.sigCounts[this.sigIndex[i]]--;
    this.tags[i] = EMPTY;
    const set = this.setOfSlot[i];
    this.setValid[set]--;
    // A hole breaks the round of fills; an empty set starts a new one at way 0.
    this.fillCursor[set] = this.setValid[set] === 0 ? 0 : -1;
  }

  /**
   * Miss-filter bucket of a (page, level) in `set`: the page's bits above the
   * set index, plus the level, modulo SIG_BUCKETS (entries of one set differ
   * only there). Any deterministic function would do; this one spreads
   * consecutive pages of one set over distinct buckets.
   */
  private sigOf(page: number, set: number, level: number): number {
    const high = this.setShift >= 0 && page < SMALL_GFN_LIMIT ? page >>> this.setShift : Math.floor(page / this.sets);
    return set * SIG_BUCKETS + ((high + level * 7) & (SIG_BUCKETS - 1));
  }

  /** Set of a translation: its page number at its own size, modulo the set count. */
  private setOf(page: number): number {
    return this.setMask >= 0 && page < 2 ** 31 ? page & this.setMask : page % this.sets;
  }
}
