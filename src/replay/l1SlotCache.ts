/**
 * The fast path's memory (src/replay/vcpuAccessPath.ts): per access path of
 * a group (the engine's vCPUs, or one worker's), a direct-mapped table from
 * a single frame and its kind (data or fetch) to the L1 TLB slot the last
 * L1 probe found translating it past the first place (below). A replay loop
 * checks it before the L1 probe (`cachedHit`), inline, with no call into
 * the TLB's search.
 *
 * First places. The lookup probes the L1 arrays in order, each smallest
 * page size first, and returns the first entry found; an entry found at the
 * first place probed (array 0, 4K) is found first whatever else the TLB
 * holds; so is a 2M entry of the first array holding 2M while nothing is
 * held before it. Those entries the TLB arrays keep in a `FirstPlaceIndex`
 * (src/tlb/firstPlaceIndex.ts) that the group owns (`firstPlace`), and a
 * replay loop takes them there first (`firstPlaceHit`, `hugePlaceHit`): one
 * compare, one stamp store.
 *
 * Exactness of the others. A hit here is what the TLB lookup would do,
 * entry for entry: the slot must still hold the tag it held (a flush or an
 * eviction changed it otherwise), its permissions are read there, and using
 * it makes it the most recent of its set (`TlbArray.touch`). An entry found
 * past the first place could be preceded by an entry filled since (a 4K
 * fill after a huge page was split without a flush), so it is taken only
 * while the path has filled nothing: `epochs[s]` counts the path's
 * slow-path lookups (the only place a TLB is filled), and an entry keeps
 * the count it was cached at.
 *
 * Huge pages. A 2M or 1G entry translates many frames, but a table keyed by
 * frame learns them one probe at a time. So each path also keeps one *range*
 * entry: the huge translation its last probe found, for every frame it
 * spans, taken only when nothing is held at any place probed before it (no
 * smaller entry in its array, no entry in an earlier array: no frame of the
 * range can be found elsewhere first) and, as above, while the path has
 * filled nothing since. A 2M range entry is also kept in a direct-mapped
 * table by 2M page, under the same two conditions, so a working set of many
 * 2M pages (random accesses over a 2M-backed guest) takes one probe per page,
 * not one per frame.
 */
import { Level, pagesPerLevel } from '../mmu/level.js';
import type { TlbArray } from '../tlb/tlbArray.js';
import { TlbHierarchy } from '../tlb/tlbHierarchy.js';
import type { TlbGeometry } from '../tlb/tlbPresets.js';
import { FirstPlaceIndex, firstPlaceOffset, hugePlaceOffset, touchStamp } from '../tlb/firstPlaceIndex.js';
import * as entry from '../mmu/entry.js';
import { AccessKind } from '../mmu/vmOptions.js';

/** The permission bits `writeLast` tests, in constants of this module (an imported binding is loaded and checked at each use: docs/benchmarks.md, "Imported constants"). */
const PERM_READ = entry.PERM_READ;
const PERM_WRITE = entry.PERM_WRITE;
const PERM_EXEC = entry.PERM_EXEC;
/** Entries per access path (a power of two): above any L1's capacity, so a working set L1 holds fits. */
export const SLOT_CACHE_ENTRIES = 4096;
const INDEX_MASK = SLOT_CACHE_ENTRIES - 1;
/** 2M range entries per access path (a power of two), by 2M page: 2 GiB of 2M pages served without a probe. */
export const HUGE_CACHE_ENTRIES = 1024;
const HUGE_INDEX_MASK = HUGE_CACHE_ENTRIES - 1;
/** 1 / the frames of a 2M page (a power of two: `gfn * FRAMES_TO_2M` is exact). */
const FRAMES_TO_2M = 1 / pagesPerLevel(Level.L2M);
const FRAMES_PER_2M = pagesPerLevel(Level.L2M);
/**
 * Every offset of an entry in `words` (an entry is `ENTRY_WORDS` doubles, one
 * cache line), and of a path's range in `ranges`: one array each, so a
 * replay loop holds them in locals (TurboFan does not hoist field loads out
 * of a loop). An entry's key is apart, in `keys`: a lookup that misses (most
 * of a fault-heavy trace) reads one double of a dense array, not a line.
 */
const SLOT = 0; // the L1 slot
const TAG = 1; // the slot's tag when cached
const EPOCH_AT = 2; // the path's epoch when cached
const FIRST = 3; // the frames [first, end) the entry may serve as the last translation: its frame, or its huge page's
const END = 4;
export const ENTRY_WORDS = 8;
/**
 * The range entry: its first frame, and per kind (0 data, 1 fetch) the end
 * of the frames [first, end) it serves, at `RANGE_END + exec`: the first
 * frame (empty) for the other kind, or for both when there is none.
 */
const RANGE_FIRST = 0;
const RANGE_END = 1; // + exec: 1, 2
const HAS_HUGE = 3; // 1 once the path has stored a 2M entry: until then a frame entry's miss is the end
/**
 * The last translation: its first frame, and per access kind k (AccessKind
 * 1-3: read, write, fetch) the end of the frames [first, end) it serves an
 * access of that kind, at `LAST_END + k`: the first frame (empty) when its
 * kind or permissions do not allow k. No last translation: the first frame
 * is infinity (one store empties the three ranges). An end per kind
 * (as for the range entry) makes the checks two compares of doubles, with no
 * kind or permission test and no conversion from double to integer.
 */
const LAST_FIRST = 4;
const LAST_END = 4; // + k: 5, 6, 7
const RANGE_WORDS = 8;

/**
 * Where each entry of path `s` (of `paths`) lives: its frame entries, then
 * every path's range entry, then its 2M entries (`key` as in `keys`).
 */
function frameEntry(s: number, key: number): number {
  return s * SLOT_CACHE_ENTRIES + (key & INDEX_MASK);
}
function rangeEntry(paths: number, s: number): number {
  return paths * SLOT_CACHE_ENTRIES + s;
}
function hugeEntry(paths: number, s: number, key: number): number {
  return paths * (SLOT_CACHE_ENTRIES + 1) + s * HUGE_CACHE_ENTRIES + (key & HUGE_INDEX_MASK);
}

export class L1SlotCache {
  /**
   * Per entry: a frame entry's `gfn * 2 + exec` (exec 1 for a fetch), a 2M
   * entry's `page * 2 + exec` (its 2M page number), or -1 (the range entries
   * have none; an empty entry).
   */
  readonly keys: Float64Array;
  /**
   * Per entry, `ENTRY_WORDS` doubles: the frame entries of every path, then
   * one range entry per path, then every path's 2M entries.
   */
  readonly words: Float64Array;
  /** Per entry: the L1 array holding its slot. */
  readonly arrays: (TlbArray | undefined)[];
  /** Per path: its slow-path lookups so far. */
  readonly epochs: Float64Array;
  /** Per path, `RANGE_WORDS` doubles: its range entry's frames and kind, and its last translation (`hitsLast`). */
  readonly ranges: Float64Array;
  /** The first places of every path's TLB (path `s` is hierarchy `s` there; `VcpuAccessPath` attaches it). */
  readonly firstPlace: FirstPlaceIndex;
  private readonly paths: number;

  /** The cache of `paths` access paths whose TLBs have `geometry`. */
  constructor(paths: number, geometry: TlbGeometry) {
    this.paths = paths;
    this.firstPlace = new FirstPlaceIndex(paths, TlbHierarchy.firstPlaceStamps(geometry));
    const entries = paths * (SLOT_CACHE_ENTRIES + 1 + HUGE_CACHE_ENTRIES);
    this.keys = new Float64Array(entries).fill(-1);
    this.words = new Float64Array(entries * ENTRY_WORDS);
    this.arrays = new Array<TlbArray | undefined>(entries).fill(undefined);
    this.epochs = new Float64Array(paths);
    this.ranges = new Float64Array(paths * RANGE_WORDS);
  }

  /** The tag of entry `c` (the translation a `cachedHit` returning `c` found). */
  tagOf(c: number): number {
    return this.words[c * ENTRY_WORDS + TAG];
  }

  /**
   * Remember that path `s`'s L1 probe found frame `gfn` (`exec` 0 data, 1
   * fetch) in `slot` of `array`, past the first place probed (that one is in
   * `firstPlace`); [firstGfn, endGfn): the frames it may serve as the last
   * translation (the frame, or a huge page's frames when
   * `nothingProbedBefore` it, src/tlb/tlbHierarchy.ts).
   */
  remember(s: number, gfn: number, exec: number, array: TlbArray, slot: number, firstGfn: number, endGfn: number): void {
    const key = gfn * 2 + exec;
    const c = frameEntry(s, key);
    this.keys[c] = key;
    this.store(c, array, slot, this.epochs[s], firstGfn, endGfn);
  }

  /**
   * Make the huge translation [firstGfn, endGfn) in `slot` of `array`, found
   * by path `s`'s probe with nothing held at any place probed before it,
   * the path's range entry; a 2M one also its 2M entry for that page (so
   * the frames of many 2M pages are served without a probe, one probe each).
   */
  rememberRange(s: number, firstGfn: number, endGfn: number, exec: number, array: TlbArray, slot: number): void {
    const r = s * RANGE_WORDS;
    this.ranges[r + RANGE_FIRST] = firstGfn;
    this.ranges[r + RANGE_END + exec] = endGfn;
    this.ranges[r + RANGE_END + 1 - exec] = firstGfn;
    this.store(rangeEntry(this.paths, s), array, slot, this.epochs[s], firstGfn, endGfn);
    if (endGfn - firstGfn !== pagesPerLevel(Level.L2M)) return;
    const key = hugeKey(firstGfn, exec);
    const c = hugeEntry(this.paths, s, key);
    this.keys[c] = key;
    this.store(c, array, slot, this.epochs[s], firstGfn, endGfn);
    this.ranges[r + HAS_HUGE] = 1;
  }

  /**
   * Path `s` just used a TLB entry for frames [firstGfn, endGfn) (a single
   * frame, or a huge page's when nothing probed before it is held), making it
   * the most recent of its set: its last translation.
   */
  setLast(s: number, firstGfn: number, endGfn: number, exec: number, perms: number): void {
    writeLast(this.ranges, s, firstGfn, endGfn, exec, perms);
  }

  /** Path `s`'s TLB changed otherwise (a fill, a flush): it has no last translation. */
  forgetLast(s: number): void {
    this.ranges[s * RANGE_WORDS + LAST_FIRST] = Number.POSITIVE_INFINITY; // [infinity, end): no frame, for every kind
  }

  private store(c: number, array: TlbArray, slot: number, epochAt: number, firstGfn: number, endGfn: number): void {
    const w = c * ENTRY_WORDS;
    this.words[w + FIRST] = firstGfn;
    this.words[w + END] = endGfn;
    this.arrays[c] = array;
    this.words[w + SLOT] = slot;
    this.words[w + TAG] = array.tagAt(slot);
    this.words[w + EPOCH_AT] = epochAt;
  }
}

/**
 * The fast path: path `s` (of `paths`) translates single frame `gfn`
 * (`exec`) with the permission `need`, by its range entry or its entry for
 * the frame. Then, as the lookup would, the TLB entry becomes the most
 * recent of its set, and the cache entry's index is returned (`tagOf`); else
 * -1, nothing changed. Takes the cache's arrays one by one, so a replay loop
 * passes them from locals.
 */
export function cachedHit(
  keys: Float64Array,
  words: Float64Array,
  ranges: Float64Array,
  epochs: Float64Array,
  arrays: readonly (TlbArray | undefined)[],
  paths: number,
  s: number,
  gfn: number,
  exec: number,
  need: number,
): number {
  let c: number;
  const r = s * RANGE_WORDS;
  if (gfn < ranges[r + RANGE_END + exec] && gfn >= ranges[r + RANGE_FIRST]) {
    c = rangeEntry(paths, s);
  } else {
    const key = gfn * 2 + exec;
    c = frameEntry(s, key);
    if (keys[c] !== key) {
      if (ranges[r + HAS_HUGE] === 0) return -1;
      const huge = hugeKey(gfn, exec);
      c = hugeEntry(paths, s, huge);
      if (keys[c] !== huge) return -1;
    }
  }
  const w = c * ENTRY_WORDS;
  if (words[w + EPOCH_AT] !== epochs[s]) return -1;
  const array = arrays[c]!;
  const slot = words[w + SLOT];
  const perms = array.permsAt(slot);
  if (array.tagAt(slot) !== words[w + TAG] || (perms & need) === 0) return -1;
  array.touch(slot);
  writeLast(ranges, s, words[w + FIRST], words[w + END], exec, perms);
  return c;
}

/**
 * The first check of the fast path after `hitsLast`: path `s`'s first place
 * (`firstPlace`: the cache's `keys`, `stampAt`, `permsAt`, `stamps`,
 * `clock`) holds frame `gfn`'s 4K entry with the permission of `kind`.
 * Then, as the lookup would, the entry becomes the most recent of its set,
 * and the path's last translation, for every kind it is indexed for (so the
 * next access within the frame takes `hitsLast`, with no store); true. Else
 * false, nothing changed.
 */
export function firstPlaceHit(
  keys: Float64Array,
  stampAt: Int32Array,
  permsAt: Uint8Array,
  stamps: Float64Array,
  clock: Float64Array,
  ranges: Float64Array,
  s: number,
  kind: AccessKind,
  gfn: number,
): boolean {
  const at = firstPlaceOffset(s, kind, gfn);
  if (keys[at] !== gfn) return false;
  touchStamp(stamps, clock, stampAt[at]);
  writeLast(ranges, s, gfn, gfn + 1, kind === AccessKind.Exec ? 1 : 0, permsAt[at]);
  return true;
}

/**
 * The next check (a function of its own: the 4K hit path stays as small
 * as it was, about 5% faster on the cycle than one function for both):
 * while path `s`'s 2M first places are live (`live`, the index's
 * `hugeLive`: nothing held before them), the index holds frame `gfn`'s 2M
 * page with the permission of `kind`. Then, as `firstPlaceHit`, the entry
 * is used and becomes the last translation, for every frame of its page;
 * true.
 */
export function hugePlaceHit(
  live: Uint8Array,
  keys: Float64Array,
  stampAt: Int32Array,
  permsAt: Uint8Array,
  stamps: Float64Array,
  clock: Float64Array,
  ranges: Float64Array,
  s: number,
  kind: AccessKind,
  gfn: number,
): boolean {
  if (live[s * 4 + kind] === 0) return false;
  const page = Math.floor(gfn * FRAMES_TO_2M);
  const at = hugePlaceOffset(s, kind, page);
  if (keys[at] !== page) return false;
  touchStamp(stamps, clock, stampAt[at]);
  const first = page * FRAMES_PER_2M;
  writeLast(ranges, s, first, first + FRAMES_PER_2M, kind === AccessKind.Exec ? 1 : 0, permsAt[at]);
  return true;
}

/** `firstPlaceHit`, then `hugePlaceHit`, on path `s` of `cache` (for callers outside a hot loop): the level of the entry used, or 0. */
export function placeHitOf(cache: L1SlotCache, s: number, kind: AccessKind, gfn: number): number {
  const { keys, stampAt, permsAt, hugeLive, stamps, clock } = cache.firstPlace;
  if (firstPlaceHit(keys, stampAt, permsAt, stamps, clock, cache.ranges, s, kind, gfn)) return Level.L4K;
  if (hugePlaceHit(hugeLive, keys, stampAt, permsAt, stamps, clock, cache.ranges, s, kind, gfn)) return Level.L2M;
  return 0;
}

/** The key of frame `gfn`'s 2M page for an access of kind `exec`. */
function hugeKey(gfn: number, exec: number): number {
  return Math.floor(gfn * FRAMES_TO_2M) * 2 + exec;
}

/** Make frames [firstGfn, endGfn) (kind `exec`, permissions `perms`) path `s`'s last translation in `ranges`. */
function writeLast(ranges: Float64Array, s: number, firstGfn: number, endGfn: number, exec: number, perms: number): void {
  const r = s * RANGE_WORDS;
  ranges[r + LAST_FIRST] = firstGfn;
  ranges[r + LAST_END + AccessKind.Read] = exec === 0 && (perms & PERM_READ) !== 0 ? endGfn : firstGfn;
  ranges[r + LAST_END + AccessKind.Write] = exec === 0 && (perms & PERM_WRITE) !== 0 ? endGfn : firstGfn;
  ranges[r + LAST_END + AccessKind.Exec] = exec === 1 && (perms & PERM_EXEC) !== 0 ? endGfn : firstGfn;
}

/**
 * The first check of the fast path: single frame `gfn` is in path `s`'s
 * last translation, which allows an access of `kind`. Nothing has touched the
 * path's TLB since that entry was used (every other use sets or forgets
 * the last translation), so it is still held and the most recent of its set:
 * the lookup would find it and change no LRU order. A range entry's frames
 * count only because nothing probed before it holds an entry (see above).
 */
export function hitsLast(ranges: Float64Array, s: number, gfn: number, kind: AccessKind): boolean {
  const r = s * RANGE_WORDS;
  return gfn < ranges[r + LAST_END + kind] && gfn >= ranges[r + LAST_FIRST];
}

/** `cachedHit` on path `s` of `cache` (for callers outside a hot loop). */
export function cachedHitOf(cache: L1SlotCache, s: number, gfn: number, exec: number, need: number): number {
  return cachedHit(cache.keys, cache.words, cache.ranges, cache.epochs, cache.arrays, cache.epochs.length, s, gfn, exec, need);
}
