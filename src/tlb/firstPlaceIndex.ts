/**
 * The hit path's index of the entries a group of TLB hierarchies (the
 * engine's vCPUs, or one worker's) hold at the *first place* a lookup
 * probes: the first L1 array's 4K entries, probed before anything else
 * (`TlbArray.probe`, `TlbHierarchy.lookup`). Such an entry is what the
 * lookup finds whatever else the TLB holds, so a hit on it needs no other
 * check: the replay loop finds it by one compare, and makes it the most
 * recent of its set by one stamp store (`touchStamp`), with no call into
 * the TLB.
 *
 * Exactness is kept by the arrays themselves (as drcachesim keeps the fast
 * path inside the device): an attached `TlbArray` indexes an entry when a
 * probe finds it, and takes it out whenever its slot changes (a fill
 * replacing it, a drop, a flush). So `keys[i] === gfn` means: the array
 * holds frame `gfn`'s 4K translation, with the permission of entry `i`'s
 * kind, at stamp `stamps[stampAt[i]]`. The index is direct-mapped (`gfn`
 * modulo `FIRST_PLACE_ENTRIES`): a frame whose place another took is still
 * in the TLB, and the full lookup puts it back.
 *
 * 2M entries (by 2M page number, `HUGE_PLACE_ENTRIES` per kind). The first
 * L1 array holding 2M entries is their first place only while nothing
 * probed before them is held: no entry in an earlier L1 array, no 4K entry
 * in their own. The hierarchy keeps that condition per kind in `hugeLive`
 * (`TlbHierarchy.updateHugeLive`, after every fill and flush while a 2M
 * entry is indexed); the entries themselves are kept exact as the 4K ones
 * are, live or not.
 *
 * Layout: per hierarchy `h`, per access kind `k` (1 read, 2 write, 3 fetch:
 * the permission bit `1 << k`, src/mmu/entry.ts; 0 unused) its 4K entries,
 * then per kind its 2M entries, in `keys`, `stampAt` and `permsAt`
 * (`firstPlaceOffset`, `hugePlaceOffset`: one set of arrays, so a replay
 * loop holds few locals). The attached arrays' LRU stamps live in `stamps`
 * (one region per array, which uses it as its own) and the group's LRU
 * clock in `clock[0]`: one clock for every array of the group keeps each
 * array's stamps unique and in use order, all LRU needs.
 */

import { Level, pageNumber } from '../mmu/level.js';

const L4K = Level.L4K;
const L2M = Level.L2M;
/** 4K index entries per hierarchy and kind (a power of two, above any L1's 4K capacity). */
export const FIRST_PLACE_ENTRIES = 4096;
const MASK = FIRST_PLACE_ENTRIES - 1;
/** 2M index entries per hierarchy and kind (a power of two: 2 GiB of 2M pages). */
export const HUGE_PLACE_ENTRIES = 1024;
const HUGE_MASK = HUGE_PLACE_ENTRIES - 1;
/** `keys` of an empty entry. */
export const NO_FRAME = -1;

/** Index entries per hierarchy: per kind (0-3, 0 unused), its 4K entries, then per kind its 2M entries. */
const PER_HIERARCHY = 4 * (FIRST_PLACE_ENTRIES + HUGE_PLACE_ENTRIES);

/** Where hierarchy `h`'s 4K entry for frame `gfn` and access kind `kind` (1-3) lives. */
export function firstPlaceOffset(h: number, kind: number, gfn: number): number {
  return h * PER_HIERARCHY + kind * FIRST_PLACE_ENTRIES + (gfn & MASK);
}

/** Where hierarchy `h`'s 2M entry for 2M page `page` and access kind `kind` (1-3) lives. */
export function hugePlaceOffset(h: number, kind: number, page: number): number {
  return h * PER_HIERARCHY + 4 * FIRST_PLACE_ENTRIES + kind * HUGE_PLACE_ENTRIES + (page & HUGE_MASK);
}

/** Use the TLB entry whose LRU stamp is `stamps[at]`: it becomes the most recent of its set (the one rule of an LRU touch); returns its stamp. */
export function touchStamp(stamps: Float64Array, clock: Float64Array, at: number): number {
  const now = clock[0] + 1;
  clock[0] = now;
  stamps[at] = now;
  return now;
}

export class FirstPlaceIndex {
  /** Per entry (`firstPlaceOffset`, `hugePlaceOffset`): the frame (4K) or 2M page number indexed there, or `NO_FRAME`. */
  readonly keys: Float64Array;
  /** Per entry: where its TLB entry's LRU stamp is in `stamps`. */
  readonly stampAt: Int32Array;
  /** Per entry: the permission bits of the kinds its TLB entry is indexed for (its other uses without a lookup). */
  readonly permsAt: Uint8Array;
  /** Per hierarchy: its 2M entries that hold a page. */
  readonly hugeHeld: Float64Array;
  /** Per hierarchy and kind (`h * 4 + kind`): 1 while the 2M entries are first places (set by the hierarchy). */
  readonly hugeLive: Uint8Array;
  /** The LRU stamps of every attached array, a region each. */
  readonly stamps: Float64Array;
  /** [0]: the group's LRU clock (every fill or use of an entry of the group's arrays advances it). */
  readonly clock = new Float64Array(1);
  /** Stamps of each hierarchy's region. */
  readonly stampsPerHierarchy: number;

  /** An index for `hierarchies` hierarchies whose attached arrays have at most `stampsPerHierarchy` entries in all. */
  constructor(hierarchies: number, stampsPerHierarchy: number) {
    this.keys = new Float64Array(hierarchies * PER_HIERARCHY).fill(NO_FRAME);
    this.stampAt = new Int32Array(hierarchies * PER_HIERARCHY);
    this.permsAt = new Uint8Array(hierarchies * PER_HIERARCHY);
    this.hugeHeld = new Float64Array(hierarchies);
    this.hugeLive = new Uint8Array(hierarchies * 4);
    this.stamps = new Float64Array(hierarchies * stampsPerHierarchy);
    this.stampsPerHierarchy = stampsPerHierarchy;
  }

  /** Index the entry of `level` (4K or 2M) whose first frame is `firstGfn`, its stamp at `stampAt`, as hierarchy `h`'s for each kind whose permission bit is in `perms`. */
  put(h: number, level: Level, perms: number, firstGfn: number, stampAt: number): void {
    const huge = level !== L4K;
    const key = huge ? pageNumber(firstGfn, L2M) : firstGfn;
    for (let kind = 1; kind <= 3; kind++) {
      if ((perms & (1 << kind)) === 0) continue;
      const at = huge ? hugePlaceOffset(h, kind, key) : firstPlaceOffset(h, kind, key);
      if (huge && this.keys[at] === NO_FRAME) this.hugeHeld[h]++;
      this.keys[at] = key;
      this.stampAt[at] = stampAt;
      this.permsAt[at] = perms;
    }
  }

  /** Take the entry of `level` whose first frame is `firstGfn` out of hierarchy `h`'s, for the kinds whose permission bit is in `perms` (those it was put in). */
  remove(h: number, level: Level, perms: number, firstGfn: number): void {
    const huge = level !== L4K;
    const key = huge ? pageNumber(firstGfn, L2M) : firstGfn;
    for (let kind = 1; kind <= 3; kind++) {
      if ((perms & (1 << kind)) === 0) continue;
      const at = huge ? hugePlaceOffset(h, kind, key) : firstPlaceOffset(h, kind, key);
      if (this.keys[at] !== key) continue; // another key took the entry
      this.keys[at] = NO_FRAME; // a key has one entry of its level in an array: this one
      if (huge) this.hugeHeld[h]--;
    }
  }

  /** The first stamp of hierarchy `h`'s region, `offset` stamps in (its arrays one after another). */
  stampBase(h: number, offset: number): number {
    return h * this.stampsPerHierarchy + offset;
  }
}
