/**
 * A vCPU access path's TLB reach curve (src/tlb/reachCurve.ts), fed exactly
 * what the path's TLB sees, keyed as the TLB keys translations
 * (`firstGfn * 4 + level`): every lookup (slot-cache hits, `probeL1` and the
 * slow path) and every flush. vcpuAccessPath.ts and the engine's loop call
 * it behind one test per call site, so `--no-tlb-reach` costs nothing more.
 *
 * A lookup of the translation fed last is at stack distance 1 (nothing
 * since has moved another to the top: a flush forgets it here, an MMIO exit
 * changes no position): a hit at every size, counted without a stack
 * update, the common case of accesses within one page.
 *
 * Permissions: a lookup that hit without the permission, or missed and then
 * faulted, is a miss at every size (every copy a TLB of any size holds was
 * filled before the mapping changed). Exact for one vCPU; with several, a
 * permission another vCPU's fault added without a flush is not seen in this
 * vCPU's older copies (its larger TLBs would still miss there).
 */
import { ReachCurve, type ReachCurveData } from '../tlb/reachCurve.js';

export class ReachFeed {
  private readonly curve = new ReachCurve();
  /** The tag fed last, at the top of the curve's stack (-1: none). */
  private top = -1;

  /** The misses at every size. */
  result(): ReachCurveData {
    return this.curve.curve();
  }

  /** A lookup of translation `tag`; `permOk` false: a miss at every size (see `VcpuAccessPath.lookupAll`). */
  lookup(tag: number, permOk: boolean): void {
    if (permOk && tag === this.top) {
      this.curve.hitAtTop();
      return;
    }
    this.curve.lookup(tag, permOk);
    this.top = tag;
  }

  /**
   * A lookup of the path's last translation (`hitsLast`): the translation fed
   * last (every lookup feeds its translation, and nothing else moves the
   * stack's top), a hit at every size.
   */
  lookupLast(): void {
    this.curve.hitAtTop();
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
  }
}
