/**
 * The fast path's memory (src/replay/vcpuAccessPath.ts): per access path of
 * a group (the engine's vCPUs, or one worker's), a direct-mapped table from
 * a single frame and its kind (data or fetch) to the L1 TLB slot the last
 * L1 probe found translating it. A replay loop checks it before the L1
 * probe (`cachedHit`), inline, with no call into the TLB's search.
 *
 * Exactness. A hit here is what the TLB lookup would do, entry for entry:
 * the slot must still hold the tag it held (a flush or an eviction changed
 * it otherwise), its permissions are read there, and using it makes it the
 * most recent of its set (`TlbArray.touch`). The lookup probes the L1
 * arrays in order, each smallest page size first, and returns the first
 * entry found; an entry found at the first place probed (array 0, 4K) is
 * found first whatever else the TLB holds. One found later could be
 * preceded by an entry filled since (a 4K fill after a huge page was split
 * without a flush), so it is taken only while the path has filled nothing:
 * `epochs[s]` counts the path's slow-path lookups (the only place a TLB
 * is filled), and such an entry keeps the count it was cached at.
 */
import type { TlbArray } from '../tlb/tlbArray.js';

/** Entries per access path (a power of two): above any L1's capacity, so a working set L1 holds fits. */
export const SLOT_CACHE_ENTRIES = 4096;
const INDEX_MASK = SLOT_CACHE_ENTRIES - 1;
/** `epochAt` of an entry found at the first place probed: valid at any epoch. */
const ANY_EPOCH = -1;

export class L1SlotCache {
  /** Per entry: `gfn * 2 + exec` (exec 1 for a fetch), or -1. */
  readonly key: Float64Array;
  /** Per entry: the L1 array and slot, and the slot's tag when cached. */
  readonly array: (TlbArray | undefined)[];
  readonly slot: Int32Array;
  readonly tag: Float64Array;
  /** Per entry: the path's epoch when cached, or ANY_EPOCH. */
  readonly epochAt: Float64Array;
  /** Per path: its slow-path lookups so far. */
  readonly epochs: Float64Array;

  constructor(paths: number) {
    const entries = paths * SLOT_CACHE_ENTRIES;
    this.key = new Float64Array(entries).fill(-1);
    this.array = new Array<TlbArray | undefined>(entries).fill(undefined);
    this.slot = new Int32Array(entries);
    this.tag = new Float64Array(entries);
    this.epochAt = new Float64Array(entries);
    this.epochs = new Float64Array(paths);
  }

  /**
   * Remember that path `s`'s L1 probe found frame `gfn` (`exec` 0 data, 1
   * fetch) in `slot` of `array`; `first`: at the first place probed.
   */
  remember(s: number, gfn: number, exec: number, array: TlbArray, slot: number, first: boolean): void {
    const key = gfn * 2 + exec;
    const c = entryOf(s, key);
    this.key[c] = key;
    this.array[c] = array;
    this.slot[c] = slot;
    this.tag[c] = array.tagAt(slot);
    this.epochAt[c] = first ? ANY_EPOCH : this.epochs[s];
  }
}

/** Entry of path `s` for `key` (`ToInt32` keeps a large key's low bits: any bits do for a hash). */
function entryOf(s: number, key: number): number {
  return s * SLOT_CACHE_ENTRIES + (key & INDEX_MASK);
}

/**
 * The fast path: path `s`'s table translates single frame `gfn` (`exec`)
 * with the permission `need`. Then, as the lookup would, the entry becomes
 * the most recent of its set, and the table's entry index is returned (its
 * `tag` is the translation's); else -1, nothing changed.
 */
export function cachedHit(cache: L1SlotCache, s: number, gfn: number, exec: number, need: number): number {
  const key = gfn * 2 + exec;
  const c = entryOf(s, key);
  if (cache.key[c] !== key) return -1;
  const epoch = cache.epochAt[c];
  if (epoch !== ANY_EPOCH && epoch !== cache.epochs[s]) return -1;
  const array = cache.array[c]!;
  const slot = cache.slot[c];
  if (array.tagAt(slot) !== cache.tag[c] || (array.permsAt(slot) & need) === 0) return -1;
  array.touch(slot);
  return c;
}
