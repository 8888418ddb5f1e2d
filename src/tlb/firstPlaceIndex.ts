/**
 * The hit path's index of the 4K entries a group of TLB hierarchies (the
 * engine's vCPUs, or one worker's) hold at the *first place* a lookup
 * probes: the first L1 array, whose 4K entries are probed before anything
 * else (`TlbArray.probe`, `TlbHierarchy.lookup`). Such an entry is what the
 * lookup finds whatever else the TLB holds, so a hit on it needs no other
 * check: the replay loop finds it by one compare, and makes it the most
 * recent of its set by one stamp store (`touchStamp`), with no call into
 * the TLB.
 *
 * Exactness is kept by the array itself (as drcachesim keeps the fast path
 * inside the device): an attached `TlbArray` indexes every 4K entry it fills
 * and removes it from the index whenever the slot changes (a fill replacing
 * it, a drop, a flush). So `keys[i] === gfn` means: the array holds frame
 * `gfn`'s 4K translation, with the permission of the index's kind, at stamp
 * `stampAt[i]`. The index is direct-mapped (`gfn` modulo
 * `FIRST_PLACE_ENTRIES`): a frame whose place another took is still in the
 * TLB and found by the full lookup, which puts it back.
 *
 * Layout: per hierarchy `h` and access kind `k` (1 read, 2 write, 3 fetch:
 * the permission bit `1 << k`, src/mmu/entry.ts), `FIRST_PLACE_ENTRIES`
 * doubles of `keys` and int32 of `stampAt` from `((h * 4 + k) *
 * FIRST_PLACE_ENTRIES)` (k = 0 unused). The attached arrays' LRU stamps live
 * in `stamps` (one region per array, which uses it as its own) and the
 * group's LRU clock in `clock[0]`: one clock for every array of the group
 * keeps each array's stamps unique and in use order, all LRU needs.
 */

/** Index entries per hierarchy and kind (a power of two, above any L1's 4K capacity). */
export const FIRST_PLACE_ENTRIES = 4096;
const MASK = FIRST_PLACE_ENTRIES - 1;
/** `keys` of an empty entry. */
export const NO_FRAME = -1;

/** Where hierarchy `h`'s entry for frame `gfn` and access kind `kind` (1-3) lives in `keys` and `stampAt`. */
export function firstPlaceOffset(h: number, kind: number, gfn: number): number {
  return (h * 4 + kind) * FIRST_PLACE_ENTRIES + (gfn & MASK);
}

/** Use the TLB entry whose LRU stamp is `stamps[at]`: it becomes the most recent of its set (the one rule of an LRU touch); returns its stamp. */
export function touchStamp(stamps: Float64Array, clock: Float64Array, at: number): number {
  const now = clock[0] + 1;
  clock[0] = now;
  stamps[at] = now;
  return now;
}

export class FirstPlaceIndex {
  /** Per hierarchy, kind and entry: the frame indexed there, or `NO_FRAME`. */
  readonly keys: Float64Array;
  /** Per hierarchy, kind and entry: where the entry's LRU stamp is in `stamps`. */
  readonly stampAt: Int32Array;
  /** Per hierarchy, kind and entry: the permission bits of the kinds the entry is indexed for (its other uses without a lookup). */
  readonly permsAt: Uint8Array;
  /** The LRU stamps of every attached array, a region each. */
  readonly stamps: Float64Array;
  /** [0]: the group's LRU clock (every fill or use of an entry of the group's arrays advances it). */
  readonly clock = new Float64Array(1);
  private readonly stampsPerHierarchy: number;

  /** An index for `hierarchies` hierarchies whose attached arrays have at most `stampsPerHierarchy` entries in all. */
  constructor(hierarchies: number, stampsPerHierarchy: number) {
    this.keys = new Float64Array(hierarchies * 4 * FIRST_PLACE_ENTRIES).fill(NO_FRAME);
    this.stampAt = new Int32Array(hierarchies * 4 * FIRST_PLACE_ENTRIES);
    this.permsAt = new Uint8Array(hierarchies * 4 * FIRST_PLACE_ENTRIES);
    this.stamps = new Float64Array(hierarchies * stampsPerHierarchy);
    this.stampsPerHierarchy = stampsPerHierarchy;
  }

  /** Index frame `gfn`'s 4K entry, its stamp at `stampAt`, as hierarchy `h`'s for each kind whose permission bit is in `perms`. */
  put(h: number, perms: number, gfn: number, stampAt: number): void {
    for (let kind = 1; kind <= 3; kind++) {
      if ((perms & (1 << kind)) === 0) continue;
      const at = firstPlaceOffset(h, kind, gfn);
      this.keys[at] = gfn;
      this.stampAt[at] = stampAt;
      this.permsAt[at] = perms;
    }
  }

  /** Take frame `gfn` out of hierarchy `h`'s entries of the kinds whose permission bit is in `perms` (those it was put in). */
  remove(h: number, perms: number, gfn: number): void {
    for (let kind = 1; kind <= 3; kind++) {
      if ((perms & (1 << kind)) === 0) continue;
      const at = firstPlaceOffset(h, kind, gfn);
      if (this.keys[at] === gfn) this.keys[at] = NO_FRAME; // a frame has one 4K entry in an array: this one
    }
  }

  /** The first stamp of hierarchy `h`'s region, `offset` stamps in (its arrays one after another). */
  stampBase(h: number, offset: number): number {
    return h * this.stampsPerHierarchy + offset;
  }
}
