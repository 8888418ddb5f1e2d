/**
 * TLB reach curve: the exact misses of fully associative LRU TLBs of many
 * sizes (16, 32, ... 65536 entries by default) in ONE pass over the lookups,
 * from LRU stack distances (R. L. Mattson, J. Gecsei, D. R. Slutz and
 * I. L. Traiger, "Evaluation techniques for storage hierarchies", IBM Systems
 * Journal 9(2), 1970), with a Fenwick tree over access times so that each
 * distance costs O(log n) (Bennett and Kruskal's counting, 1975).
 *
 * Pure: it knows nothing of the replay. The caller feeds, per vCPU, exactly
 * the operations its TLB sees:
 * - `lookup(tag, permOk)`: an access to translation `tag` (`firstGfn * 4 +
 *   level`, level 1 = 4K, 2 = 2M, 3 = 1G, `firstGfn` aligned to the
 *   translation's `512^(level-1)` frames). `permOk = false`: the entry, if
 *   present, lacks the permission: a miss at every size, then it is refilled.
 * - `missWithoutFill()`: a miss that fills nothing (MMIO).
 * - `invalidate(tag)`, `invalidateRange(startGfn, endGfn)`,
 *   `invalidateAll()`: a flush dropped it, every translation overlapping
 *   `[startGfn, endGfn)`, or all of them.
 *
 * Invalidation and inclusion. Without invalidation, an N-entry LRU TLB holds
 * exactly the top N entries of the LRU stack, so a lookup at stack distance
 * d (1-based) hits at every size >= d. An invalidation leaves a *free slot*
 * in every TLB that held the entry, and a real TLB fills a free slot rather
 * than evicting. The stack keeps an invalidated entry's position as a
 * **hole**; then, for every N, the N-entry TLB holds exactly the entries
 * (not holes) among the top N positions, provided that moving an entry to
 * the top shifts the entries above it down only as far as the first hole
 * above its old position, which the shift consumes (and its old position
 * becomes a hole). Case by case, with h the first hole above the old
 * position p (p = infinity for a tag not in the stack):
 * - N < h: the N-TLB is full and misses; it evicts its LRU entry (position
 *   N), which the shift pushes out of the top N.
 * - h <= N < p: the N-TLB has a free slot and misses; it fills the slot, as
 *   consuming hole h does, with no eviction.
 * - N >= p: a hit; the top N keep the same entries (hole h consumed, hole
 *   at p made).
 * With no hole above p, it is the plain stack update. `test/tlb-reach-
 * curve.test.ts` checks the whole against direct LRU simulations.
 *
 * Timestamps. Every position (entry or hole) is a marker at the time of its
 * last use; stack position of a marker = the markers at or after its time.
 * The first hole above p is the newest hole, kept in a max-heap of hole
 * times. A lookup (steps in `lookup`) removes and adds O(1) markers, each a
 * Fenwick update; times are compacted (renumbered in order) when the tree is
 * full, so memory follows the live markers, not the trace's length.
 */
import { TagTimes } from './tagTimes.js';

/** The TLB sizes of the curve: 16, 32, ... 65536 entries. */
export const REACH_SIZES: readonly number[] = Array.from({ length: 13 }, (_, i) => 16 << i);

/** A reach curve as results carry it: misses at each size, sizes ascending. */
export interface ReachCurveData {
  entries: number[];
  misses: number[];
}

/** `tagAt` value of a time with no marker. */
const NONE = -2;
/** `tagAt` value of a hole. */
const HOLE = -1;
const INITIAL_CAPACITY = 1024;

export class ReachCurve {
  /** TLB sizes, ascending. */
  readonly sizes: readonly number[];
  /** `hist[j]`: lookups that miss at exactly the `j` smallest sizes (j = sizes.length: every size). */
  private readonly hist: Float64Array;
  /** Fenwick tree over times 1..capacity: 1 where a marker (entry or hole) sits. */
  private tree: Int32Array;
  /** Per time: the tag of the entry marked there, HOLE, or NONE. */
  private tagAt: Float64Array;
  private capacity: number;
  /** Last time used. */
  private clock = 0;
  /** Markers at times >= `floor` (the ones before `floor` were flushed by `invalidateAll`). */
  private markers = 0;
  /** Markers before this time are dead (an `invalidateAll`); they never count for a live entry. */
  private floor = 1;
  /** Live tag -> time of its marker. */
  private readonly live = new TagTimes();
  /** Max-heap of hole times. */
  private holes: number[] = [];
  private lookupCount = 0;

  constructor(sizes: readonly number[] = REACH_SIZES) {
    if (sizes.length === 0 || sizes.some((s, i) => !Number.isInteger(s) || s < 1 || (i > 0 && s <= sizes[i - 1]))) {
      throw new RangeError('reach curve sizes must be ascending positive integers');
    }
    this.sizes = [...sizes];
    this.hist = new Float64Array(sizes.length + 1);
    this.capacity = INITIAL_CAPACITY;
    this.tree = new Int32Array(this.capacity + 1);
    this.tagAt = new Float64Array(this.capacity + 1).fill(NONE);
  }

  /** Lookups seen. */
  get lookups(): number {
    return this.lookupCount;
  }

  /**
   * An access to translation `tag`.
   * 1. Its stack distance d: the markers at or after its time (infinity when
   *    it is not in the stack, or `permOk` is false for the counting).
   * 2. Count a miss at every size below d.
   * 3. Move it to the top: if the newest hole is above its old position,
   *    consume that hole and turn the old position into a hole; else drop
   *    its old marker. A tag not in the stack consumes the newest hole, if any.
   * 4. Mark it at the new time.
   */
  lookup(tag: number, permOk: boolean): void {
    this.lookupCount++;
    const now = this.tick();
    const old = this.live.get(tag);
    // 1-2.
    const distance = old < 0 || !permOk ? Infinity : this.markers - this.prefix(old - 1);
    let j = 0;
    const sizes = this.sizes;
    while (j < sizes.length && sizes[j] < distance) j++;
    this.hist[j]++;
    // 3.
    const newestHole = this.holes.length > 0 ? this.holes[0] : -1;
    if (old >= 0) {
      if (newestHole > old) {
        this.removeMarker(this.popHole());
        this.tagAt[old] = HOLE;
        this.pushHole(old);
      } else {
        this.removeMarker(old);
      }
    } else if (newestHole > 0) {
      this.removeMarker(this.popHole());
    }
    // 4.
    this.addMarker(now, tag);
    this.live.set(tag, now);
  }

  /** A lookup that misses at every size and fills nothing (an access that exits to userspace, MMIO): the stack is unchanged. */
  missWithoutFill(): void {
    this.lookupCount++;
    this.hist[this.sizes.length]++;
  }

  /** A flush dropped translation `tag` (nothing when it is not held). */
  invalidate(tag: number): void {
    const time = this.live.delete(tag);
    if (time < 0) return;
    this.tagAt[time] = HOLE;
    this.pushHole(time);
  }

  /**
   * A flush dropped every translation overlapping `[startGfn, endGfn)`. The
   * live tags are found by enumerating the aligned candidates of each level
   * when the range is small, else by scanning the live tags.
   */
  invalidateRange(startGfn: number, endGfn: number): void {
    if (!(endGfn > startGfn)) return;
    let candidates = 0;
    for (let level = 1, frames = 1; level <= 3; level++, frames *= 512) {
      candidates += Math.floor((endGfn - 1) / frames) - Math.floor(startGfn / frames) + 1;
    }
    if (candidates <= this.live.size) {
      for (let level = 1, frames = 1; level <= 3; level++, frames *= 512) {
        const last = Math.floor((endGfn - 1) / frames) * frames;
        for (let first = Math.floor(startGfn / frames) * frames; first <= last; first += frames) this.invalidate(first * 4 + level);
      }
      return;
    }
    const dropped: number[] = [];
    this.live.forEach((tag) => {
      const level = tag % 4;
      const first = (tag - level) / 4;
      if (first < endGfn && first + 512 ** (level - 1) > startGfn) dropped.push(tag);
    });
    for (const tag of dropped) this.invalidate(tag);
  }

  /** A full flush: every TLB is empty, as an empty stack is. */
  invalidateAll(): void {
    this.live.clear();
    this.holes = [];
    this.floor = this.clock + 1;
    this.markers = 0;
  }

  /** Misses of a fully associative LRU TLB of `size` entries (one of `sizes`). */
  misses(size: number): number {
    const k = this.sizes.indexOf(size);
    if (k < 0) throw new RangeError(`reach curve: ${size} is not one of its sizes (${this.sizes.join(', ')})`);
    let sum = 0;
    for (let j = k + 1; j < this.hist.length; j++) sum += this.hist[j];
    return sum;
  }

  /** Misses at every size, sizes ascending. */
  curve(): ReachCurveData {
    return { entries: [...this.sizes], misses: this.sizes.map((size) => this.misses(size)) };
  }

  /** The next time, compacting the times first when the tree is full. */
  private tick(): number {
    if (this.clock + 1 > this.capacity) this.compact();
    return ++this.clock;
  }

  /** Markers at times 1..t that are at or after `floor` (dead markers before `floor` are excluded). */
  private prefix(t: number): number {
    return this.rawPrefix(t) - this.rawPrefix(Math.min(t, this.floor - 1));
  }

  private rawPrefix(t: number): number {
    let sum = 0;
    for (let i = t; i > 0; i -= i & -i) sum += this.tree[i];
    return sum;
  }

  private update(t: number, delta: number): void {
    for (let i = t; i <= this.capacity; i += i & -i) this.tree[i] += delta;
  }

  private addMarker(t: number, tag: number): void {
    this.tagAt[t] = tag;
    this.update(t, 1);
    this.markers++;
  }

  private removeMarker(t: number): void {
    this.tagAt[t] = NONE;
    this.update(t, -1);
    this.markers--;
  }

  private pushHole(t: number): void {
    const heap = this.holes;
    let i = heap.length;
    heap.push(t);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] >= t) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = t;
  }

  private popHole(): number {
    const heap = this.holes;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const c = l + 1 < heap.length && heap[l + 1] > heap[l] ? l + 1 : l;
        if (heap[c] <= last) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }

  /**
   * Renumber the live markers 1..m in time order (their order is all the
   * distances depend on), dropping dead markers (before `floor`) and holes
   * older than every live entry (a hole with no entry below it is the
   * stack's free end), then rebuild the tree, at least four times the
   * markers in size: O(capacity), at most once per capacity/2 lookups.
   */
  private compact(): void {
    let oldestLive = Infinity;
    this.live.forEach((_, t) => {
      if (t < oldestLive) oldestLive = t;
    });
    const kept: number[] = [];
    for (let t = this.floor; t <= this.clock; t++) {
      const tag = this.tagAt[t];
      if (tag === NONE || (tag === HOLE && t < oldestLive)) continue;
      kept.push(tag);
    }
    this.capacity = Math.max(this.capacity, 4 * kept.length);
    this.tree = new Int32Array(this.capacity + 1);
    this.tagAt = new Float64Array(this.capacity + 1).fill(NONE);
    const holes: number[] = [];
    kept.forEach((tag, i) => {
      const t = i + 1;
      this.tagAt[t] = tag;
      this.tree[t] = 1;
      if (tag === HOLE) holes.push(t);
      else this.live.set(tag, t);
    });
    // Linear Fenwick build: each node adds itself to its parent.
    for (let i = 1; i <= this.capacity; i++) {
      const parent = i + (i & -i);
      if (parent <= this.capacity) this.tree[parent] += this.tree[i];
    }
    this.holes = holes.reverse(); // descending: a valid max-heap
    this.clock = kept.length;
    this.markers = kept.length;
    this.floor = 1;
  }
}

/** The sum of per-vCPU curves over the same sizes (a cell's curve). */
export function sumReachCurves(curves: readonly ReachCurveData[]): ReachCurveData | undefined {
  if (curves.length === 0) return undefined;
  const entries = [...curves[0].entries];
  const misses = entries.map(() => 0);
  for (const curve of curves) {
    if (curve.entries.length !== entries.length || curve.entries.some((e, i) => e !== entries[i])) {
      throw new RangeError('sumReachCurves: curves over different sizes');
    }
    for (let i = 0; i < curve.misses.length; i++) misses[i] += curve.misses[i];
  }
  return { entries, misses };
}
