/**
 * One vCPU's TLBs: first-level data and instruction arrays per page size and
 * an optional unified second level. A lookup probes L1 (instruction arrays
 * for fetches), then L2; an L2 hit refills L1; a walk fills both. No
 * allocation on lookup or fill.
 */
import { LEAF_LEVELS, type Level } from '../mmu/level.js';
import { TlbArray, type EntryVisitor } from './tlbArray.js';
import type { FirstPlaceIndex } from './firstPlaceIndex.js';
import { PERM_EXEC, PERM_READ, PERM_RWX, PERM_WRITE } from '../mmu/entry.js';
import type { TlbArraySpec, TlbGeometry } from './tlbPresets.js';

/** Where the last lookup hit. */
export const enum TlbHit {
  Miss = 0,
  L1 = 1,
  L2 = 2,
}

const build = (specs: readonly TlbArraySpec[]): TlbArray[] => specs.map((s) => new TlbArray(s.entries, s.ways, s.levels));

export class TlbHierarchy {
  readonly l1d: TlbArray[];
  readonly l1i: TlbArray[];
  readonly l2: TlbArray[];
  /** Every array once (L1 data and instruction may be the same arrays). */
  readonly all: TlbArray[];
  /** True when the hierarchy has a second level. */
  readonly hasL2: boolean;
  /**
   * The one array of a single-level TLB that serves data and fetches and
   * holds every page size (`simpleGeometry`), else undefined: lookups and
   * fills then skip the array lists (same result as the general path).
   */
  private readonly single: TlbArray | undefined;
  /** Where the last lookup hit, and the entry's permissions. */
  hit: TlbHit = TlbHit.Miss;
  hitPerms = 0;

  constructor(geometry: TlbGeometry) {
    this.l1d = build(geometry.l1d);
    this.l1i = geometry.l1i === 'shared' ? this.l1d : build(geometry.l1i);
    this.l2 = build(geometry.l2);
    this.all = [...new Set([...this.l1d, ...this.l1i, ...this.l2])];
    this.hasL2 = this.l2.length > 0;
    const only = this.l1d[0];
    const holdsAll = only !== undefined && LEAF_LEVELS.every((level) => only.holds(level));
    this.single = this.l1d.length === 1 && this.l1i === this.l1d && !this.hasL2 && holdsAll ? only : undefined;
  }

  /** LRU stamps `attachFirstPlace` keeps in the index for a hierarchy of `geometry`: its first L1 data and instruction arrays'. */
  static firstPlaceStamps(geometry: TlbGeometry): number {
    const data = geometry.l1d[0]?.entries ?? 0;
    return geometry.l1i === 'shared' ? data : data + (geometry.l1i[0]?.entries ?? 0);
  }

  /**
   * Keep this hierarchy's first places in `index` as its hierarchy `h`:
   * the first L1 data array's 4K entries for reads and writes, the first
   * instruction array's for fetches (one array serving both: all three).
   */
  attachFirstPlace(index: FirstPlaceIndex, h: number): void {
    const data = this.l1d[0];
    const fetch = this.l1i[0];
    if (data === fetch) {
      data?.attachFirstPlace(index, h, PERM_RWX, 0);
      return;
    }
    data?.attachFirstPlace(index, h, PERM_READ | PERM_WRITE, 0);
    fetch?.attachFirstPlace(index, h, PERM_EXEC, data?.entries ?? 0);
  }

  /** The first-level arrays a data access (`exec` false) or a fetch probes, in lookup order. */
  l1For(exec: boolean): readonly TlbArray[] {
    return exec ? this.l1i : this.l1d;
  }

  /** Level of the translation of `gfn` found in L1 or L2 (0 on a miss); sets `hit` and `hitPerms`. */
  lookup(gfn: number, exec: boolean): number {
    const single = this.single;
    if (single !== undefined) {
      const level = single.lookup(gfn);
      if (level !== 0) {
        this.hit = TlbHit.L1;
        this.hitPerms = single.hitPerms;
      } else {
        this.hit = TlbHit.Miss;
      }
      return level;
    }
    const l1 = exec ? this.l1i : this.l1d;
    for (let i = 0; i < l1.length; i++) {
      const level = l1[i].lookup(gfn);
      if (level !== 0) {
        this.hit = TlbHit.L1;
        this.hitPerms = l1[i].hitPerms;
        return level;
      }
    }
    return this.lookupPastL1(gfn, exec);
  }

  /**
   * `lookup` when the caller has just probed L1 and found no entry for `gfn`
   * (`TlbArray.probe`, nothing changed since): the L2 part alone.
   */
  lookupPastL1(gfn: number, exec: boolean): number {
    for (let i = 0; i < this.l2.length; i++) {
      const level = this.l2[i].lookup(gfn);
      if (level !== 0) {
        this.hit = TlbHit.L2;
        this.hitPerms = this.l2[i].hitPerms;
        fillInto(exec ? this.l1i : this.l1d, gfn, level, this.hitPerms, true); // L1 was probed first: absent there
        return level;
      }
    }
    this.hit = TlbHit.Miss;
    return 0;
  }

  /** Fill the translation a walk found into L2 and L1. */
  fill(gfn: number, level: Level, perms: number, exec: boolean, absent = false): void {
    const single = this.single;
    if (single !== undefined) {
      single.fill(gfn, level, perms, absent);
      return;
    }
    fillInto(this.l2, gfn, level, perms, absent);
    fillInto(exec ? this.l1i : this.l1d, gfn, level, perms, absent);
  }

  /** Drop every entry, telling `onDrop` of each first; returns how many. */
  flushAll(onDrop?: EntryVisitor): number {
    let dropped = 0;
    for (const array of this.all) dropped += array.flushAll(onDrop);
    return dropped;
  }

  /** Drop every entry overlapping `[startGfn, endGfn)`, telling `onDrop` of each first; returns how many. */
  flushRange(startGfn: number, endGfn: number, onDrop?: EntryVisitor): number {
    let dropped = 0;
    for (const array of this.all) dropped += array.flushRange(startGfn, endGfn, onDrop);
    return dropped;
  }

  forEachEntry(visit: EntryVisitor): void {
    for (const array of this.all) array.forEachEntry(visit);
  }
}

/** Fill into the first array of `arrays` that holds `level` (none: the size is not cached there). */
function fillInto(arrays: readonly TlbArray[], gfn: number, level: Level, perms: number, absent: boolean): void {
  for (let i = 0; i < arrays.length; i++) {
    if (arrays[i].holds(level)) {
      arrays[i].fill(gfn, level, perms, absent);
      return;
    }
  }
}
