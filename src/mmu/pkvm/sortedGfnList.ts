/**
 * Interim stand-in for `GfnTree` (a balanced tree, being written): the same
 * API over a sorted array, O(n) insert/remove. Replaced once the tree lands.
 */
export class SortedGfnList {
  private gfns: number[] = [];
  private sizes: number[] = [];
  comparisons = 0;

  get size(): number {
    return this.gfns.length;
  }

  private lowerBound(gfn: number): number {
    let lo = 0;
    let hi = this.gfns.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      this.comparisons++;
      if (this.gfns[mid] < gfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(gfn: number, nrPages: number): boolean {
    const i = this.lowerBound(gfn);
    if (i < this.gfns.length && this.gfns[i] < gfn + nrPages) return false;
    if (i > 0 && this.gfns[i - 1] + this.sizes[i - 1] > gfn) return false;
    this.gfns.splice(i, 0, gfn);
    this.sizes.splice(i, 0, nrPages);
    return true;
  }

  remove(gfn: number): boolean {
    const i = this.lowerBound(gfn);
    if (i >= this.gfns.length || this.gfns[i] !== gfn) return false;
    this.gfns.splice(i, 1);
    this.sizes.splice(i, 1);
    return true;
  }

  forEachInRange(startGfn: number, endGfn: number, visit: (gfn: number, nrPages: number) => void): void {
    const snapshot: number[] = [];
    let i = this.lowerBound(startGfn);
    if (i > 0 && this.gfns[i - 1] + this.sizes[i - 1] > startGfn) i--;
    for (; i < this.gfns.length && this.gfns[i] < endGfn; i++) snapshot.push(this.gfns[i], this.sizes[i]);
    for (let j = 0; j < snapshot.length; j += 2) visit(snapshot[j], snapshot[j + 1]);
  }
}
