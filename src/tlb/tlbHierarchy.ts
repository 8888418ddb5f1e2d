/**
 * One vCPU's TLBs: first-level data and instruction arrays per page size and
 * an optional unified second level. A lookup probes L1 (instruction arrays
 * for fetches), then L2; an L2 hit refills L1; a walk fills both. No
 * allocation on lookup or fill.
 */
import { LEAF_LEVELS, Level } from '../mmu/level.js';
import { AccessKind } from '../mmu/vmOptions.js';
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
  /** The first-place index this hierarchy is attached to, as its hierarchy `firstPlaceHierarchy` (`attachFirstPlace`). */
  private firstPlace: FirstPlaceIndex | undefined;
  private firstPlaceHierarchy = 0;
  /** The first L1 data and instruction arrays holding 2M (their 2M first places), or -1. */
  private readonly hugeData: number;
  private readonly hugeFetch: number;

  constructor(geometry: TlbGeometry) {
    this.l1d = build(geometry.l1d);
    this.l1i = geometry.l1i === 'shared' ? this.l1d : build(geometry.l1i);
    this.l2 = build(geometry.l2);
    this.all = [...new Set([...this.l1d, ...this.l1i, ...this.l2])];
    this.hasL2 = this.l2.length > 0;
    const only = this.l1d[0];
    const holdsAll = only !== undefined && LEAF_LEVELS.every((level) => only.holds(level));
    this.single = this.l1d.length === 1 && this.l1i === this.l1d && !this.hasL2 && holdsAll ? only : undefined;
    this.hugeData = this.l1d.findIndex(holds2m);
    this.hugeFetch = this.l1i.findIndex(holds2m);
  }

  /** LRU stamps `attachFirstPlace` keeps in the index for a hierarchy of `geometry`: those of its first places' arrays. */
  static firstPlaceStamps(geometry: TlbGeometry): number {
    const stamps = (l1: readonly TlbArraySpec[]): number => {
      const [small, huge] = placeArrays(l1, (spec) => spec.levels.includes(Level.L2M));
      return (small?.entries ?? 0) + (huge !== undefined && huge !== small ? huge.entries : 0); // one array counted once
    };
    return stamps(geometry.l1d) + (geometry.l1i === 'shared' ? 0 : stamps(geometry.l1i));
  }

  /**
   * Keep this hierarchy's first places in `index` as its hierarchy `h`: per
   * role (data accesses over the L1 data arrays, fetches over the
   * instruction arrays; one list serving both: all three kinds), the first
   * array's 4K entries and the first 2M-holding array's 2M entries.
   */
  attachFirstPlace(index: FirstPlaceIndex, h: number): void {
    this.firstPlace = index;
    this.firstPlaceHierarchy = h;
    const perms = new Map<TlbArray, { perms: number; levels: number }>();
    const add = (l1: readonly TlbArray[], kinds: number): void => {
      const [small, huge] = placeArrays(l1, holds2m);
      for (const [array, level] of [
        [small, Level.L4K],
        [huge, Level.L2M],
      ] as const) {
        if (array === undefined) continue;
        const place = perms.get(array) ?? { perms: 0, levels: 0 };
        perms.set(array, { perms: place.perms | kinds, levels: place.levels | (1 << level) });
      }
    };
    add(this.l1d, this.l1i === this.l1d ? PERM_RWX : PERM_READ | PERM_WRITE);
    if (this.l1i !== this.l1d) add(this.l1i, PERM_EXEC);
    let offset = 0;
    for (const [array, place] of perms) {
      array.attachFirstPlace(index, h, place.perms, place.levels, offset);
      offset += array.entries;
    }
    this.updateHugeLive();
  }

  /**
   * A probe found the entry in `slot` of `array` (an L1 array of this
   * hierarchy): into the first-place index if it is at one. True when the
   * index now serves it whatever else is held (a 4K first place; a 2M one
   * serves only while `hugeLive`).
   */
  indexFirstPlace(array: TlbArray, slot: number): boolean {
    const indexed = array.indexFirstPlace(slot);
    if (array.levelAt(slot) === Level.L2M) this.updateHugeLive(); // skipped while no 2M entry was indexed
    return indexed && array.levelAt(slot) === Level.L4K;
  }

  /**
   * `index.hugeLive` of this hierarchy, after a fill or flush and once a 2M
   * entry is indexed: per kind, 1 when the 2M entries of its first
   * 2M-holding L1 array are found first (no entry in an earlier array, no 4K
   * entry in that one), else 0. Skipped while no 2M entry is indexed (a
   * fault-heavy replay fills on every access): the flags then serve nothing.
   */
  private updateHugeLive(): void {
    const index = this.firstPlace;
    if (index === undefined || index.hugeHeld[this.firstPlaceHierarchy] === 0) return;
    const base = this.firstPlaceHierarchy * 4;
    const data = this.hugeData >= 0 && nothingProbedBefore(this.l1d, this.hugeData, Level.L2M) ? 1 : 0;
    const fetch = this.l1i === this.l1d ? data : this.hugeFetch >= 0 && nothingProbedBefore(this.l1i, this.hugeFetch, Level.L2M) ? 1 : 0;
    index.hugeLive[base + AccessKind.Read] = data;
    index.hugeLive[base + AccessKind.Write] = data;
    index.hugeLive[base + AccessKind.Exec] = fetch;
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
        this.updateHugeLive();
        return level;
      }
    }
    this.hit = TlbHit.Miss;
    return 0;
  }

  /** Fill the translation a walk found into L2 and L1. */
  fill(gfn: number, level: Level, perms: number, exec: boolean, absent = false): void {
    const single = this.single;
    if (single !== undefined) single.fill(gfn, level, perms, absent);
    else {
      fillInto(this.l2, gfn, level, perms, absent);
      fillInto(exec ? this.l1i : this.l1d, gfn, level, perms, absent);
    }
    this.updateHugeLive();
  }

  /** Drop every entry, telling `onDrop` of each first; returns how many. */
  flushAll(onDrop?: EntryVisitor): number {
    let dropped = 0;
    for (const array of this.all) dropped += array.flushAll(onDrop);
    this.updateHugeLive();
    return dropped;
  }

  /** Drop every entry overlapping `[startGfn, endGfn)`, telling `onDrop` of each first; returns how many. */
  flushRange(startGfn: number, endGfn: number, onDrop?: EntryVisitor): number {
    let dropped = 0;
    for (const array of this.all) dropped += array.flushRange(startGfn, endGfn, onDrop);
    this.updateHugeLive();
    return dropped;
  }

  forEachEntry(visit: EntryVisitor): void {
    for (const array of this.all) array.forEachEntry(visit);
  }
}

const holds2m = (array: TlbArray): boolean => array.holds(Level.L2M);

/** The first places of an L1 list: its first array (4K) and its first array holding 2M (either may be undefined). */
function placeArrays<T>(l1: readonly T[], holds2m: (array: T) => boolean): [T | undefined, T | undefined] {
  return [l1[0], l1.find(holds2m)];
}

/**
 * True when no place the lookup probes before `level` of `arrays[index]`
 * holds an entry (smaller levels there, every earlier array): no frame of
 * an entry there can be found elsewhere first (the slot cache's range
 * entries, the 2M first places).
 */
export function nothingProbedBefore(arrays: readonly TlbArray[], index: number, level: Level): boolean {
  for (let a = 0; a < index; a++) if (arrays[a].validBelow(Level.L1G + 1) !== 0) return false;
  return arrays[index].validBelow(level) === 0;
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
