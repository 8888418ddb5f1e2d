/**
 * A vCPU access path's TLB reach curve (src/tlb/reachCurve.ts), fed exactly
 * what the path's TLB sees, keyed as the TLB keys translations
 * (`firstGfn * 4 + level`): every lookup of the slow path and of `probeL1`,
 * every flush. vcpuAccessPath.ts calls it behind one `reach !== undefined`
 * test per call site, so `--no-tlb-reach` costs nothing more.
 *
 * Why the first two parts of the fast path (`hitsLast`, `hitsPrevious`, in
 * `VcpuAccessPath.access` and the engine's inline loop) need not feed it: they hit the
 * last or the previous remembered translation, and `lookup` keeps both among
 * the curve's two most recent tags (the last is the tag just fed; a previous
 * one that is not, after a translation outside L1 or one that took the last
 * one's slot, is forgotten, which only sends its next use down the slow path,
 * with the same result). So such a hit is at stack distance 1 or 2: a hit at
 * every size (the smallest is >= 2, checked in the constructor), and a hit on
 * the previous one only swaps the top two stack positions, which changes no
 * distance >= 3 (holes are never among the top two: a flush forgets both
 * remembered translations, and `flush` resets the top two here).
 *
 * Permissions: a lookup that hit without the permission, or missed and then
 * faulted, is a miss at every size (every copy a TLB of any size holds was
 * filled before the mapping changed). Exact for one vCPU; with several, a
 * permission another vCPU's fault added without a flush is not seen in this
 * vCPU's older copies (its larger TLBs would still miss there).
 */
import { Level, pagesPerLevel } from '../mmu/level.js';
import { ReachCurve, type ReachCurveData } from '../tlb/reachCurve.js';
import type { RememberedTranslations } from './rememberedTranslations.js';

export class ReachFeed {
  private readonly curve = new ReachCurve();
  /** The curve's two most recent tags (-1: none). */
  private top = -1;
  private second = -1;

  constructor() {
    if (this.curve.sizes[0] < 2) throw new RangeError('reach curve: the smallest size must be at least 2 entries (fast-path hits are stack distances 1 and 2)');
  }

  /** The misses at every size. */
  result(): ReachCurveData {
    return this.curve.curve();
  }

  /**
   * A lookup of translation `tag` after path `s` of `tr` remembered it;
   * `permOk` false: a miss at every size (see `VcpuAccessPath.lookupAll`).
   * Then forget the path's previous remembered translation unless it is one
   * of the curve's two most recent tags.
   */
  lookup(tag: number, permOk: boolean, tr: RememberedTranslations, s: number): void {
    this.curve.lookup(tag, permOk);
    if (tag !== this.top) {
      this.second = this.top;
      this.top = tag;
    }
    const prev = tr.last[s] ^ 1;
    if (tr.exec[prev] === -1) return;
    const first = tr.first[prev];
    const frames = tr.end[prev] - first;
    const prevTag = first * 4 + (frames === 1 ? Level.L4K : frames === pagesPerLevel(Level.L2M) ? Level.L2M : Level.L1G);
    if (prevTag !== this.top && prevTag !== this.second) tr.exec[prev] = -1;
  }

  /** A lookup that exits to userspace (MMIO): a miss at every size, nothing filled. */
  missWithoutFill(): void {
    this.curve.missWithoutFill();
  }

  /** The flush the TLB carried out: all, or the `dropCount` flat pairs of `drop`. */
  flush(full: boolean, drop: Float64Array, dropCount: number): void {
    if (full) this.curve.invalidateAll();
    else for (let r = 0; r < dropCount; r++) this.curve.invalidateRange(drop[r * 2], drop[r * 2 + 1]);
    this.top = -1;
    this.second = -1;
  }
}
