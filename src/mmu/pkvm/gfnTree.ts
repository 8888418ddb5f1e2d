/**
 * The host-side mirror of a pKVM guest's stage-2 (seed 000; upstream
 * arch/arm64/kvm/pkvm.c): the mappings `{ gfn, nrPages }` the host has shared
 * with EL2, ordered by GFN. Upstream started with an rb-tree keyed by GFN
 * (`struct pkvm_mapping { gfn, pfn }`, 4K only) and later moved to an interval
 * tree (`INTERVAL_TREE_DEFINE(struct pkvm_mapping, ...)` with `nr_pages`) when
 * non-protected VMs got PMD blocks.
 *
 * Why a plain ordered tree is enough for range queries: mappings never overlap
 * (an insert that would overlap is refused, as `pkvm_pgtable_stage2_map`
 * refuses with -EAGAIN), so sorting by start also sorts by end. The only
 * mapping that starts before a range and still overlaps it is the predecessor
 * of the range start; everything else in the range follows it in order. No
 * interval-tree augmentation (`__subtree_last`) is needed.
 *
 * Why AVL and not red-black: lookups dominate (every fault and every range op
 * starts with a descent) and AVL's height bound (< 1.4405·log2(n + 2)) is
 * tighter than red-black's (≤ 2·log2(n + 1)), so descents are shorter; its
 * invariant (heights differ by at most one) is also simpler to check. The
 * tree is the model's bookkeeping, not a cost it reports: a GFN above every
 * mapping (the common order of faults) is linked below the last node without
 * a descent.
 *
 * Layout: a node pool in typed arrays indexed by node number (no object per
 * node); -1 is "no node". Freed nodes go on a free list (chained through
 * `left`) and have height 0, which marks them dead. The pool doubles when
 * full. No operation recurses, and none allocates except pool growth.
 */
import { grownTo } from '../../typedArrays.js';

const NIL = -1;
const INITIAL_CAPACITY = 64;
/** Largest exclusive end a mapping may have: GFNs are exact in a double up to 2^53. */
const MAX_END_GFN = Number.MAX_SAFE_INTEGER;

/** Ordered, AVL-balanced set of non-overlapping GFN ranges `[gfn, gfn + nrPages)`. */
export class GfnTree {
  private gfns = new Float64Array(INITIAL_CAPACITY);
  private nrPagesOf = new Float64Array(INITIAL_CAPACITY);
  private left = new Int32Array(INITIAL_CAPACITY);
  private right = new Int32Array(INITIAL_CAPACITY);
  private parent = new Int32Array(INITIAL_CAPACITY);
  /** AVL height: 1 for a leaf; 0 marks a free (dead) node. */
  private heights = new Uint8Array(INITIAL_CAPACITY);
  private root = NIL;
  /** The node of the mapping with the largest GFN, or -1 (nodes keep their index: rotations relink them). */
  private last = NIL;
  private count = 0;
  /** Nodes ever handed out since the last clear (bump allocator mark). */
  private used = 0;
  private freeHead = NIL;

  /** Number of mappings. O(1). */
  get size(): number {
    return this.count;
  }

  /** Height of the tree (0 when empty, 1 for one mapping). O(1). */
  height(): number {
    return this.root === NIL ? 0 : this.heights[this.root];
  }

  /** GFN of live node `i` (an index returned by `find`). O(1). */
  nodeGfn(i: number): number {
    return this.gfns[i];
  }

  /** Page count of live node `i` (an index returned by `find`). O(1). */
  nodeNrPages(i: number): number {
    return this.nrPagesOf[i];
  }

  /** Remove every mapping; keeps the pool's capacity. O(capacity). */
  clear(): void {
    this.heights.fill(0);
    this.root = NIL;
    this.last = NIL;
    this.count = 0;
    this.used = 0;
    this.freeHead = NIL;
  }

  /**
   * Add the mapping `[gfn, gfn + nrPages)`. Returns false, changing nothing,
   * when it would overlap a mapping already present (the caller turns that
   * into pKVM's -EPERM/-EAGAIN). Throws RangeError for a GFN that is not a
   * non-negative safe integer or a page count that is not a positive integer.
   * O(log n).
   */
  insert(gfn: number, nrPages: number): boolean {
    if (!Number.isSafeInteger(gfn) || gfn < 0) throw new RangeError(`GfnTree.insert: gfn ${gfn} is not a non-negative integer`);
    if (!Number.isSafeInteger(nrPages) || nrPages < 1 || nrPages > MAX_END_GFN - gfn) {
      throw new RangeError(`GfnTree.insert: nrPages ${nrPages} is not a positive integer with gfn + nrPages <= 2^53 - 1`);
    }
    // 1. Descend; the last node we went right from is the in-order
    //    predecessor of the new position, the last we went left from its successor.
    //    A GFN above the last mapping's (a guest touching its memory in
    //    order) would go right at every node to the last one: start there.
    const { gfns, left, right } = this;
    let p = NIL;
    let goLeft = false;
    let pred = NIL;
    let succ = NIL;
    if (this.last !== NIL && gfn > gfns[this.last]) {
      p = this.last;
      pred = p;
    } else {
      for (let n = this.root; n !== NIL; ) {
        const key = gfns[n];
        if (gfn === key) return false;
        p = n;
        goLeft = gfn < key;
        if (goLeft) succ = n;
        else pred = n;
        n = goLeft ? left[n] : right[n];
      }
    }
    // 2. Refuse an overlap with either neighbour (non-overlap makes them the only candidates).
    if (pred !== NIL && this.gfns[pred] + this.nrPagesOf[pred] > gfn) return false;
    if (succ !== NIL && gfn + nrPages > this.gfns[succ]) return false;
    // 3. Link a new leaf, then rebalance from its parent up.
    const n = this.allocNode();
    this.gfns[n] = gfn;
    this.nrPagesOf[n] = nrPages;
    this.left[n] = NIL;
    this.right[n] = NIL;
    this.parent[n] = p;
    this.heights[n] = 1;
    if (p === NIL) this.root = n;
    else if (goLeft) this.left[p] = n;
    else this.right[p] = n;
    if (succ === NIL) this.last = n;
    this.count++;
    this.retrace(p);
    return true;
  }

  /**
   * Remove the mapping that starts at `gfn`; false when none starts there
   * (a GFN inside a mapping but not at its start removes nothing). Other
   * nodes keep their indices (nodes are relinked, never copied). O(log n).
   */
  remove(gfn: number): boolean {
    const { gfns, left, right } = this;
    let z = this.root;
    while (z !== NIL) {
      const key = gfns[z];
      if (gfn === key) break;
      z = gfn < key ? left[z] : right[z];
    }
    if (z === NIL) return false;
    // The last node has no right child, so (AVL) its left subtree is one node at most: that is its predecessor, else its parent.
    if (z === this.last) this.last = left[z] !== NIL ? left[z] : this.parent[z];
    let retraceFrom: number;
    if (this.left[z] === NIL || this.right[z] === NIL) {
      // 1. At most one child: it takes z's place.
      const child = this.left[z] === NIL ? this.right[z] : this.left[z];
      retraceFrom = this.parent[z];
      this.replaceChild(retraceFrom, z, child);
      if (child !== NIL) this.parent[child] = retraceFrom;
    } else {
      // 2. Two children: the successor y (leftmost of the right subtree) takes z's place.
      let y = this.right[z];
      while (this.left[y] !== NIL) y = this.left[y];
      if (this.parent[y] === z) {
        retraceFrom = y;
      } else {
        retraceFrom = this.parent[y];
        const yRight = this.right[y];
        this.left[retraceFrom] = yRight;
        if (yRight !== NIL) this.parent[yRight] = retraceFrom;
        this.right[y] = this.right[z];
        this.parent[this.right[z]] = y;
      }
      this.left[y] = this.left[z];
      this.parent[this.left[z]] = y;
      this.parent[y] = this.parent[z];
      this.replaceChild(this.parent[z], z, y);
      this.heights[y] = this.heights[z];
    }
    this.freeNode(z);
    this.count--;
    this.retrace(retraceFrom);
    return true;
  }

  /** Index of the node whose mapping contains `gfn`, or -1. O(log n). */
  find(gfn: number): number {
    const f = this.bound(gfn, true);
    return f !== NIL && gfn < this.gfns[f] + this.nrPagesOf[f] ? f : NIL;
  }

  /**
   * Call `visit(gfn, nrPages)` for every mapping overlapping
   * `[startGfn, endGfn)`, in ascending GFN order, including one that starts
   * before `startGfn` and reaches into the range. O(log n + k) for k visits.
   *
   * Safe like the kernel's `for_each_mapping_in_range_safe`: the successor is
   * found *before* each visit (successor-before-visit), so the visitor may
   * remove the visited mapping. It may also change the tree otherwise: when
   * the saved successor is gone (dead node or different GFN), the walk
   * re-seeks the first mapping at or after the saved successor's GFN
   * (O(log n) more). Mappings the visitor adds before that point are not visited.
   */
  forEachInRange(startGfn: number, endGfn: number, visit: (gfn: number, nrPages: number) => void): void {
    if (!(startGfn < endGfn)) return;
    // 1. Start at the predecessor-or-equal of startGfn if it reaches into the
    //    range, else at its successor (or the first node when there is none).
    let i = this.bound(startGfn, true);
    if (i === NIL) i = this.leftmost(this.root);
    else if (this.gfns[i] + this.nrPagesOf[i] <= startGfn) i = this.successor(i);
    // 2. Walk in order until a mapping starts at or after endGfn.
    while (i !== NIL) {
      const gfn = this.gfns[i];
      if (gfn >= endGfn) return;
      const next = this.successor(i);
      const nextGfn = next === NIL ? 0 : this.gfns[next];
      visit(gfn, this.nrPagesOf[i]);
      if (next === NIL) return;
      i = this.heights[next] !== 0 && this.gfns[next] === nextGfn ? next : this.bound(nextGfn, false);
    }
  }

  /**
   * For tests: undefined when the tree is sound, else what is wrong. Checks
   * parent links, strictly ordered non-overlapping ranges, stored heights,
   * the AVL balance condition (|h(left) - h(right)| <= 1) and the size. O(n).
   */
  checkInvariants(): string | undefined {
    if (this.root !== NIL && this.parent[this.root] !== NIL) return `root ${this.root} has parent ${this.parent[this.root]}`;
    // 1. Pre-order over an explicit stack: links, heights, balance; bounded by the pool size against cycles.
    const stack: number[] = this.root === NIL ? [] : [this.root];
    let seen = 0;
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (++seen > this.used) return `more than ${this.used} nodes reachable: the links form a cycle`;
      if (this.heights[n] === 0) return `node ${n} is reachable but free`;
      const l = this.left[n];
      const r = this.right[n];
      for (const c of [l, r]) {
        if (c === NIL) continue;
        if (this.parent[c] !== n) return `node ${c} is a child of ${n} but its parent is ${this.parent[c]}`;
        stack.push(c);
      }
      if (l !== NIL && l === r) return `node ${n} has the same node ${l} on both sides`;
      const hl = this.h(l);
      const hr = this.h(r);
      if (this.heights[n] !== 1 + Math.max(hl, hr)) return `node ${n} stores height ${this.heights[n]}, expected ${1 + Math.max(hl, hr)}`;
      if (Math.abs(hl - hr) > 1) return `node ${n} (gfn ${this.gfns[n]}) is unbalanced: heights ${hl} and ${hr}`;
    }
    if (seen !== this.count) return `size is ${this.count} but ${seen} nodes are reachable`;
    // 2. In-order: each mapping starts at or after the previous one's end.
    let prevEnd = -1;
    for (let n = this.leftmost(this.root); n !== NIL; n = this.successor(n)) {
      if (this.gfns[n] < prevEnd) return `mapping at gfn ${this.gfns[n]} starts before the previous one ends (${prevEnd})`;
      if (!(this.nrPagesOf[n] >= 1)) return `mapping at gfn ${this.gfns[n]} has ${this.nrPagesOf[n]} pages`;
      prevEnd = this.gfns[n] + this.nrPagesOf[n];
    }
    return undefined;
  }

  /** Node with the largest GFN <= gfn (floor) or the smallest GFN >= gfn (ceiling), or -1. */
  private bound(gfn: number, floor: boolean): number {
    const { gfns, left, right } = this;
    let best = NIL;
    for (let n = this.root; n !== NIL; ) {
      const key = gfns[n];
      if (gfn === key) return n;
      // Going right passes a floor candidate, going left a ceiling candidate.
      if (gfn < key !== floor) best = n;
      n = gfn < key ? left[n] : right[n];
    }
    return best;
  }

  private leftmost(n: number): number {
    if (n === NIL) return NIL;
    while (this.left[n] !== NIL) n = this.left[n];
    return n;
  }

  /** In-order successor, by links only (no key comparisons). O(log n) worst, O(1) amortised over a walk. */
  private successor(n: number): number {
    if (this.right[n] !== NIL) return this.leftmost(this.right[n]);
    let p = this.parent[n];
    while (p !== NIL && this.right[p] === n) {
      n = p;
      p = this.parent[p];
    }
    return p;
  }

  private h(n: number): number {
    return n === NIL ? 0 : this.heights[n];
  }

  /** Point p's link to `from` at `to` instead (p = -1: the root). */
  private replaceChild(p: number, from: number, to: number): void {
    if (p === NIL) this.root = to;
    else if (this.left[p] === from) this.left[p] = to;
    else this.right[p] = to;
  }

  /**
   * Walk from n towards the root restoring heights and balance, and stop at
   * the first subtree whose height came out as it was before the change:
   * a node's balance and height depend only on its children's heights, so
   * nothing above it changes (the same tree as walking to the root, in
   * O(1) amortised steps for an insert instead of O(log n)).
   */
  private retrace(n: number): void {
    const { heights, left, right, parent } = this;
    while (n !== NIL) {
      const before = heights[n];
      const l = left[n];
      const r = right[n];
      const hl = l === NIL ? 0 : heights[l];
      const hr = r === NIL ? 0 : heights[r];
      if (hl - hr > 1 || hr - hl > 1) {
        const top = this.rebalance(n);
        if (heights[top] === before) return;
        n = parent[top];
        continue;
      }
      // A balanced node only takes its new height (`rebalance`'s last step, inline: most steps of an insert are this one).
      const height = 1 + Math.max(hl, hr);
      if (height === before) return;
      heights[n] = height;
      n = parent[n];
    }
  }

  /** Rebalance the subtree at n (children already balanced); returns its new root. */
  private rebalance(n: number): number {
    const balance = this.h(this.left[n]) - this.h(this.right[n]);
    if (balance > 1) {
      const l = this.left[n];
      if (this.h(this.left[l]) < this.h(this.right[l])) this.rotate(l, true);
      return this.rotate(n, false);
    }
    if (balance < -1) {
      const r = this.right[n];
      if (this.h(this.right[r]) < this.h(this.left[r])) this.rotate(r, false);
      return this.rotate(n, true);
    }
    this.fixHeight(n);
    return n;
  }

  /** Rotate left (x's right child y rises) or right (its left child rises); returns y. */
  private rotate(x: number, toLeft: boolean): number {
    const up = toLeft ? this.right : this.left;
    const down = toLeft ? this.left : this.right;
    const y = up[x];
    const b = down[y];
    up[x] = b;
    if (b !== NIL) this.parent[b] = x;
    this.parent[y] = this.parent[x];
    this.replaceChild(this.parent[x], x, y);
    down[y] = x;
    this.parent[x] = y;
    this.fixHeight(x);
    this.fixHeight(y);
    return y;
  }

  private fixHeight(n: number): void {
    this.heights[n] = 1 + Math.max(this.h(this.left[n]), this.h(this.right[n]));
  }

  private allocNode(): number {
    if (this.freeHead !== NIL) {
      const n = this.freeHead;
      this.freeHead = this.left[n];
      return n;
    }
    if (this.used === this.gfns.length) this.grow();
    return this.used++;
  }

  private freeNode(n: number): void {
    this.heights[n] = 0;
    this.left[n] = this.freeHead;
    this.freeHead = n;
  }

  /** Double the pool; amortised O(1) per insert. */
  private grow(): void {
    const capacity = this.gfns.length * 2;
    this.gfns = grownTo(this.gfns, capacity);
    this.nrPagesOf = grownTo(this.nrPagesOf, capacity);
    this.left = grownTo(this.left, capacity);
    this.right = grownTo(this.right, capacity);
    this.parent = grownTo(this.parent, capacity);
    this.heights = grownTo(this.heights, capacity);
  }
}
