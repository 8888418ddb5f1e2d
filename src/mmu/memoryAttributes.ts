/**
 * Per-GFN memory attributes (KVM_SET_MEMORY_ATTRIBUTES; only PRIVATE
 * exists): disjoint half-open ranges `[start, end)` that differ from the
 * slot's default (a guest_memfd slot starts private, any other shared).
 * Consulted on faults only, never on the TLB-hit path.
 */
export class MemoryAttributes {
  /** Sorted, disjoint, non-adjacent-with-equal-value ranges. */
  private starts: number[] = [];
  private ends: number[] = [];
  private values: boolean[] = [];

  /** Set the private attribute of `[start, end)`: O(ranges), faults never call it. */
  set(start: number, end: number, isPrivate: boolean): void {
    const starts: number[] = [];
    const ends: number[] = [];
    const values: boolean[] = [];
    const push = (s: number, e: number, v: boolean): void => {
      starts.push(s);
      ends.push(e);
      values.push(v);
    };
    let inserted = false;
    for (let i = 0; i < this.starts.length; i++) {
      const s = this.starts[i];
      const e = this.ends[i];
      const v = this.values[i];
      if (!inserted && s >= start) {
        push(start, end, isPrivate);
        inserted = true;
      }
      // Keep only the parts of an old range outside [start, end).
      if (s < start) push(s, Math.min(e, start), v);
      if (e > end) push(Math.max(s, end), e, v);
    }
    if (!inserted) push(start, end, isPrivate);
    // An old range that began before `start` may now sort after the new one.
    const order = starts.map((_, i) => i).sort((a, b) => starts[a] - starts[b]);
    this.starts = order.map((i) => starts[i]);
    this.ends = order.map((i) => ends[i]);
    this.values = order.map((i) => values[i]);
  }

  /**
   * End of the run of GFNs from `gfn` on that share `get(gfn)`'s answer: the
   * end of the range holding `gfn`, else the start of the next range (or
   * Infinity).
   */
  runEnd(gfn: number): number {
    for (let i = 0; i < this.starts.length; i++) {
      if (gfn < this.starts[i]) return this.starts[i];
      if (gfn < this.ends[i]) return this.ends[i];
    }
    return Number.POSITIVE_INFINITY;
  }

  /** The attribute set for `gfn`, or `undefined` when none was set (the slot's default applies). */
  get(gfn: number): boolean | undefined {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (gfn < this.starts[mid]) hi = mid - 1;
      else if (gfn >= this.ends[mid]) lo = mid + 1;
      else return this.values[mid];
    }
    return undefined;
  }
}
