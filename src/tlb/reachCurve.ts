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
 * The stack. Positions (entries and holes) are nodes of a doubly linked
 * list, most recent first, in typed arrays. Each node knows its *group*:
 * the number of sizes below its position (0: within the smallest size;
 * `sizes.length`: beyond the largest), so a lookup's distance class is one
 * load. `boundary[k]` is the node at position `sizes[k]` (-1 while the stack
 * is shorter). Moving a node X to the top shifts only the positions above
 * X's, so only the boundaries above it move, each one node up the list, its
 * old node going one group down: O(number of sizes) per lookup, and O(1)
 * more for a hit near the top, the common case (cost falls with the
 * distance, where a Fenwick tree over times costs O(log n) every time).
 * Nodes carry the time of their last use, which orders holes and entries
 * (the newest hole is the first hole from the top: a max-heap of hole
 * times). Memory follows the stack's positions; a full flush empties it.
 */
import { TagTable } from './tagTable.js';
import { grownTo } from '../typedArrays.js';
import { tlbTag, tlbTagFirstGfn, tlbTagLevel } from './tlbTag.js';
import { pagesPerLevel } from '../mmu/level.js';

/** The TLB sizes of the curve: 16, 32, ... 65536 entries. */
export const REACH_SIZES: readonly number[] = Array.from({ length: 13 }, (_, i) => 16 << i);

/** A reach curve as results carry it: misses at each size, sizes ascending. */
export interface ReachCurveData {
  entries: number[];
  misses: number[];
}

const INITIAL_NODES = 1024;

export class ReachCurve {
  /** TLB sizes, ascending. */
  readonly sizes: readonly number[];
  /** `hist[j]`: lookups that miss at exactly the `j` smallest sizes (j = sizes.length: every size). */
  private readonly hist: Float64Array;
  /** Per node: the previous (more recent) and next node of the stack, -1 at its ends. */
  private prev: Int32Array;
  private next: Int32Array;
  /** Per node: the time of its last use (a hole keeps its entry's). */
  private timeOf: Float64Array;
  /** Per node: the number of sizes below its position. */
  private groupOf: Uint8Array;
  /** Per size k: the node at position `sizes[k]`, or -1. */
  private readonly boundary: Int32Array;
  private head = -1;
  private tail = -1;
  /** Positions in the stack (entries and holes): also the nodes in use, 0..length-1. */
  private length = 0;
  /** Last time used. */
  private clock = 0;
  /** Live tag -> its node. */
  private readonly live = new TagTable();
  /** Max-heap of hole nodes by time. */
  private holes: number[] = [];
  private lookupCount = 0;

  constructor(sizes: readonly number[] = REACH_SIZES) {
    if (sizes.length === 0 || sizes.length > 254 || sizes.some((s, i) => !Number.isInteger(s) || s < 1 || (i > 0 && s <= sizes[i - 1]))) {
      throw new RangeError('reach curve sizes must be ascending positive integers (at most 254 of them)');
    }
    this.sizes = [...sizes];
    this.hist = new Float64Array(sizes.length + 1);
    this.boundary = new Int32Array(sizes.length).fill(-1);
    this.prev = new Int32Array(INITIAL_NODES);
    this.next = new Int32Array(INITIAL_NODES);
    this.timeOf = new Float64Array(INITIAL_NODES);
    this.groupOf = new Uint8Array(INITIAL_NODES);
  }

  /** Lookups seen. */
  get lookups(): number {
    return this.lookupCount;
  }

  /**
   * An access to translation `tag`.
   * 1. Its distance class: its node's group (every size misses when it is
   *    not in the stack, or `permOk` is false for the counting).
   * 2. Count a miss at every size below its distance.
   * 3. Move it to the top: if the newest hole is above its old position,
   *    consume that hole (its node moves to the top for `tag`) and turn the
   *    old position into a hole; else move its own node. A tag not in the
   *    stack consumes the newest hole, if any, else takes a new node.
   */
  lookup(tag: number, permOk: boolean): void {
    this.lookupCount++;
    const node = this.live.get(tag);
    // 1-2.
    this.hist[node < 0 || !permOk ? this.sizes.length : this.groupOf[node]]++;
    // 3. Without holes (no flush since the last full one), inline; with holes, in a method of its own
    // (so that this one stays small enough for TurboFan to inline it, and `moveToTop`, into its callers).
    if (this.holes.length > 0) this.moveToTopPastHoles(node, tag);
    else if (node >= 0) this.moveToTop(node);
    else this.live.set(tag, this.moveToTop(-1));
  }

  /** `lookup`'s step 3 while the stack holds holes: `node` is `tag`'s node, or -1. */
  private moveToTopPastHoles(node: number, tag: number): void {
    const holes = this.holes;
    const newestHole = holes[0];
    if (node >= 0) {
      if (newestHole >= 0 && this.timeOf[newestHole] > this.timeOf[node]) {
        this.popHole();
        this.pushHole(node);
        this.live.set(tag, this.moveToTop(newestHole));
      } else {
        this.moveToTop(node);
      }
    } else {
      this.popHole();
      this.live.set(tag, this.moveToTop(newestHole));
    }
  }

  /**
   * `count` lookups of the translation at the top of the stack (the caller
   * knows it is: the last one looked up, nothing invalidated since): hits at
   * every size, the stack unchanged (its top is already the newest
   * position), so they may be added at any time.
   */
  hitsAtTop(count: number): void {
    this.lookupCount += count;
    this.hist[0] += count;
  }

  /** A lookup that misses at every size and fills nothing (an access that exits to userspace, MMIO): the stack is unchanged. */
  missWithoutFill(): void {
    this.lookupCount++;
    this.hist[this.sizes.length]++;
  }

  /** A flush dropped translation `tag` (nothing when it is not held). */
  invalidate(tag: number): void {
    const node = this.live.delete(tag);
    if (node < 0) return;
    this.pushHole(node);
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
        for (let first = Math.floor(startGfn / frames) * frames; first <= last; first += frames) this.invalidate(tlbTag(first, level));
      }
      return;
    }
    const dropped: number[] = [];
    this.live.forEach((tag) => {
      const level = tlbTagLevel(tag);
      const first = tlbTagFirstGfn(tag, level);
      if (first < endGfn && first + pagesPerLevel(level) > startGfn) dropped.push(tag);
    });
    for (const tag of dropped) this.invalidate(tag);
  }

  /** A full flush: every TLB is empty, as an empty stack is. */
  invalidateAll(): void {
    if (this.length === 0) return; // empty already (pKVM flushes the VMID once per leaf it unshares)
    this.live.clear();
    this.holes = [];
    this.boundary.fill(-1);
    this.head = -1;
    this.tail = -1;
    this.length = 0;
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

  /**
   * Move node `moved` (a node of the stack, which leaves its position) to
   * the top of the stack, or a new node when `moved` is -1 (the stack grows
   * by one). Positions above `moved`'s shift down by one, so
   * each boundary above it moves to the node before it (its old node one
   * group down); the boundary at `moved` itself moves to the node before
   * it. Boundaries are found in the list as it was, then the list changes.
   * Returns the node now at the top (the caller maps its tag to it in `live`).
   */
  private moveToTop(moved: number): number {
    const node = moved >= 0 ? moved : this.newNode();
    const boundary = this.boundary;
    const prev = this.prev;
    const groupOf = this.groupOf;
    const groups = boundary.length;
    const movedGroup = moved >= 0 ? groupOf[moved] : groups;
    let k = 0;
    for (; k < movedGroup; k++) {
      const old = boundary[k];
      if (old < 0) break;
      groupOf[old] = k + 1;
      const before = prev[old];
      boundary[k] = before >= 0 ? before : node;
    }
    if (moved < 0) {
      // The stack grows to length + 1: the first size it reaches gets its boundary, the old tail.
      if (k < groups && this.sizes[k] === this.length + 1) {
        boundary[k] = this.tail >= 0 ? this.tail : node;
        groupOf[boundary[k]] = k;
      }
      this.length++;
    } else if (movedGroup < groups && boundary[movedGroup] === moved) {
      const before = prev[moved];
      boundary[movedGroup] = before >= 0 ? before : node;
      groupOf[boundary[movedGroup]] = movedGroup;
    }
    if (moved >= 0) this.unlink(moved);
    this.timeOf[node] = ++this.clock;
    groupOf[node] = 0;
    this.linkFirst(node);
    return node;
  }

  /**
   * A node for a position the stack grows by (nodes 0..length-1 are in use),
   * the arrays grown first when full. The growing is a method of its own:
   * `lookup`, `moveToTop` and this one then fit TurboFan's inlining budget
   * together, so `applyReachOps` gets them all inlined more often (a cycle
   * over 256 tags: 26-27.5 ns a lookup in 6 processes of 6; with the growing
   * inline, in 2 of 6, the others 32-44 ns; docs/benchmarks.md).
   */
  private newNode(): number {
    const node = this.length;
    if (node === this.prev.length) this.growNodes();
    return node;
  }

  /** Double the node arrays, keeping their contents. */
  private growNodes(): void {
    const size = this.length * 2;
    this.prev = grownTo(this.prev, size);
    this.next = grownTo(this.next, size);
    this.timeOf = grownTo(this.timeOf, size);
    this.groupOf = grownTo(this.groupOf, size);
  }

  private unlink(node: number): void {
    const before = this.prev[node];
    const after = this.next[node];
    if (before >= 0) this.next[before] = after;
    else this.head = after;
    if (after >= 0) this.prev[after] = before;
    else this.tail = before;
  }

  private linkFirst(node: number): void {
    const old = this.head;
    this.prev[node] = -1;
    this.next[node] = old;
    if (old >= 0) this.prev[old] = node;
    else this.tail = node;
    this.head = node;
  }

  private pushHole(node: number): void {
    const heap = this.holes;
    const times = this.timeOf;
    const t = times[node];
    let i = heap.length;
    heap.push(node);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[heap[parent]] >= t) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = node;
  }

  private popHole(): number {
    const heap = this.holes;
    const times = this.timeOf;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      const t = times[last];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const c = l + 1 < heap.length && times[heap[l + 1]] > times[heap[l]] ? l + 1 : l;
        if (times[heap[c]] <= t) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
    }
    return top;
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
