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
 *
 * Operations are buffered (src/tlb/reachOps.ts) and applied a chunk at a
 * time: on this thread to the feed's own curve, or by a cell's reach thread
 * (reachRing.ts) when the feed is given a ring. A lookup of the translation
 * fed last only counts (hits at top change no position).
 */
import { ReachCurve, type ReachCurveData } from '../tlb/reachCurve.js';
import { MAX_OP_WORDS, OP_INVALIDATE_ALL, OP_INVALIDATE_RANGE, OP_LOOKUP_NO_PERM, OP_MISS_NO_FILL, applyReachOps } from '../tlb/reachOps.js';
import { CHUNK_WORDS, type ReachRing } from './reachRing.js';

/**
 * The most words buffered before an operation that might not fit drains
 * them, in a constant of this module (an imported binding is loaded and
 * checked at each use: docs/benchmarks.md, "Imported constants").
 */
const ROOM_LIMIT = CHUNK_WORDS - MAX_OP_WORDS;

export class ReachFeed {
  /** This thread's curve (unused when a ring takes the operations). */
  private readonly curve = new ReachCurve();
  /** Operations not applied yet: `ops[0, words)`, and the hits at top counted since. */
  private readonly ops = new Float64Array(CHUNK_WORDS);
  private words = 0;
  private topHits = 0;
  /** The tag fed last, at the top of the curve's stack (-1: none). */
  private top = -1;

  /** A feed applying its operations here, or handing them to `ring` as its feed `feed`. */
  constructor(
    private readonly ring?: ReachRing,
    private readonly feed = 0,
  ) {}

  /** The misses at every size (on this thread; with a ring, the ring's `finish` has them after `drain`). */
  result(): ReachCurveData {
    this.drain();
    return this.curve.curve();
  }

  /** A lookup of translation `tag`; `permOk` false: a miss at every size (see `VcpuAccessPath.lookupAll`). */
  lookup(tag: number, permOk: boolean): void {
    if (permOk && tag === this.top) {
      this.topHits++;
      return;
    }
    this.makeRoom();
    if (permOk) this.ops[this.words++] = tag;
    else {
      this.ops[this.words++] = OP_LOOKUP_NO_PERM;
      this.ops[this.words++] = tag;
    }
    this.top = tag;
  }

  /**
   * A lookup of the path's last translation (`hitsLast`): the translation fed
   * last (every lookup feeds its translation, and nothing else moves the
   * stack's top), a hit at every size.
   */
  lookupLast(): void {
    this.topHits++;
  }

  /** A lookup that exits to userspace (MMIO): a miss at every size, nothing filled. */
  missWithoutFill(): void {
    this.makeRoom();
    this.ops[this.words++] = OP_MISS_NO_FILL;
  }

  /** The flush the TLB carried out: all, or the `dropCount` flat pairs of `drop`. */
  flush(full: boolean, drop: Float64Array, dropCount: number): void {
    if (full) {
      this.makeRoom();
      this.ops[this.words++] = OP_INVALIDATE_ALL;
    } else {
      for (let r = 0; r < dropCount; r++) {
        this.makeRoom();
        this.ops[this.words++] = OP_INVALIDATE_RANGE;
        this.ops[this.words++] = drop[r * 2];
        this.ops[this.words++] = drop[r * 2 + 1];
      }
    }
    this.top = -1;
  }

  /** Room for one more operation in the buffer: drained first when it might not fit. */
  private makeRoom(): void {
    if (this.words > ROOM_LIMIT) this.drain();
  }

  /** Apply (or hand to the ring) the operations buffered so far. */
  drain(): void {
    if (this.ring !== undefined) {
      if (this.words > 0 || this.topHits > 0) this.ring.push(this.feed, this.ops, this.words, this.topHits);
    } else {
      applyReachOps(this.curve, this.ops, 0, this.words);
      this.curve.hitsAtTop(this.topHits);
    }
    this.words = 0;
    this.topHits = 0;
  }
}
