/**
 * The pre-faulted 4 KiB frames no guest access has touched since
 * (`prefault_pages_unused`): a paged bitmap over GFNs (stolen bits cleared),
 * a bit set for each frame a pre-fault step newly mapped, cleared when an
 * access touches the frame. The replay clears bits with a pass over each
 * batch's accesses only while a bit is set (src/replay/prefaultUse.ts), so a
 * run that pre-faults nothing pays nothing per access.
 *
 * Rules (docs/model.md, "Unused pre-fault"):
 * - a frame a pre-fault maps again while its bit is still set (it was
 *   unmapped untouched, then pre-faulted anew) counts once more: each
 *   mapping for nothing is memory mapped for nothing (`retired`);
 * - an UNMAP, a memslot delete or any zap clears nothing: a frame unmapped
 *   before any access touched it was still mapped for nothing; a touch after
 *   that (through a new fault) clears it, as any touch does.
 */
import { popcount } from './popcount.js';

/** Frames per bitmap page (4 KiB of bits: 128 MiB of guest memory). */
const PAGE_FRAMES = 1 << 15;
const WORDS = PAGE_FRAMES / 32;
/** Bitmap pages held in a flat array (the first 512 GiB of guest memory); higher ones in a Map. */
const LOW_PAGES = 4096;

/** Mask of bits [from, to) of a 32-bit word (0 <= from < to <= 32). */
function bitsMask(from: number, to: number): number {
  const high = to === 32 ? 0xffffffff : (1 << to) - 1;
  return (high & ~((1 << from) - 1)) >>> 0;
}

export class PrefaultFrames {
  /**
   * The bitmap pages by index, `undefined` where no frame was ever marked:
   * the low ones in an array (one load where a Map costs a hash: `touch`
   * runs per access, over pages in any order), the rest in a Map.
   */
  private readonly lowPages: (Uint32Array | undefined)[] = new Array(LOW_PAGES).fill(undefined);
  private readonly highPages = new Map<number, Uint32Array>();
  /** Bits set now. */
  private set = 0;
  /**
   * First frame no access can touch (`limitTouches`; none by default), and
   * the bits set below it: while none is, no access can clear a bit, so
   * the replay needs no pass (`empty`).
   */
  private touchableEndGfn = Number.POSITIVE_INFINITY;
  private touchable = 0;
  /** Frames pre-faulted again while still untouched (each earlier mapping stays unused). */
  private retired = 0;
  /**
   * When an array: every `mark` also appends its `firstGfn, frames` pair (a
   * per-vCPU worker returns them, so that the main thread can replay them in
   * file order).
   */
  log: number[] | undefined = undefined;

  /**
   * True when no bit an access can clear is set (none below the touch
   * limit): accesses need no pass. Frames at or beyond the limit stay
   * unused to the end, counted in `unused` all the same.
   */
  get empty(): boolean {
    return this.touchable === 0;
  }

  /**
   * No access will touch a frame at or beyond `endGfn` (the frames past the
   * trace's touched end, in a memslot rounded up to its alignment): their
   * bits need no pass. Before any mark.
   */
  limitTouches(endGfn: number): void {
    if (this.set !== 0 || this.retired !== 0) throw new RangeError('PrefaultFrames.limitTouches after a mark');
    this.touchableEndGfn = endGfn;
  }

  /** `prefault_pages_unused`: frames set now, plus the ones pre-faulted again while untouched. */
  get unused(): number {
    return this.set + this.retired;
  }

  /** Frames [firstGfn, firstGfn + frames) were newly mapped by a pre-fault step. */
  mark(firstGfn: number, frames: number): void {
    if (frames <= 0) return;
    this.log?.push(firstGfn, frames);
    const end = firstGfn + frames;
    // The frames below the touch limit, then those at or beyond it (no access clears their bits).
    const split = Math.min(end, Math.max(firstGfn, this.touchableEndGfn));
    const setBefore = this.set;
    if (split > firstGfn) this.markRange(firstGfn, split);
    this.touchable += this.set - setBefore;
    if (end > split) this.markRange(split, end);
  }

  /** Mark frames [startGfn, endGfn). */
  private markRange(startGfn: number, endGfn: number): void {
    // A 4K step: one bit, without the word visitor.
    if (endGfn - startGfn === 1) this.markOne(startGfn);
    else this.forWords(startGfn, endGfn, (words, w, mask) => this.markBits(words, w, mask));
  }

  /** Set `mask`'s bits of word `w`: a bit set already was pre-faulted again while untouched (`retired`), a new one is `set`. */
  private markBits(words: Uint32Array, w: number, mask: number): void {
    const before = words[w];
    const already = popcount(before & mask);
    this.retired += already;
    this.set += popcount(mask) - already;
    words[w] = (before | mask) >>> 0;
  }

  /** An access touched frames [firstGfn, lastGfn] (no allocation: the replay calls it per access while bits are set). */
  touch(firstGfn: number, lastGfn: number): void {
    for (let gfn = firstGfn; gfn <= lastGfn; gfn++) {
      const words = this.page(Math.floor(gfn / PAGE_FRAMES));
      if (words === undefined) {
        gfn = (Math.floor(gfn / PAGE_FRAMES) + 1) * PAGE_FRAMES - 1;
        continue;
      }
      const offset = gfn % PAGE_FRAMES;
      const bit = 1 << (offset & 31);
      const w = offset >>> 5;
      if ((words[w] & bit) !== 0) {
        words[w] &= ~bit;
        this.set--;
        if (gfn < this.touchableEndGfn) this.touchable--;
      }
    }
  }

  /** `mark` of frame `gfn` alone. */
  private markOne(gfn: number): void {
    const pageIndex = Math.floor(gfn / PAGE_FRAMES);
    const words = this.page(pageIndex) ?? this.newPage(pageIndex);
    const offset = gfn - pageIndex * PAGE_FRAMES;
    this.markBits(words, offset >>> 5, (1 << (offset & 31)) >>> 0);
  }

  /** Bitmap page `pageIndex`, or undefined when none of its frames was ever marked. */
  private page(pageIndex: number): Uint32Array | undefined {
    return pageIndex < LOW_PAGES ? this.lowPages[pageIndex] : this.highPages.get(pageIndex);
  }

  /** A bitmap page for `pageIndex`, all clear, held from now on. */
  private newPage(pageIndex: number): Uint32Array {
    const words = new Uint32Array(WORDS);
    if (pageIndex < LOW_PAGES) this.lowPages[pageIndex] = words;
    else this.highPages.set(pageIndex, words);
    return words;
  }

  /** Visit the words of [start, end) with the mask of the range's bits in each, allocating missing pages. */
  private forWords(start: number, end: number, visit: (words: Uint32Array, w: number, mask: number) => void): void {
    for (let gfn = start; gfn < end; ) {
      const pageIndex = Math.floor(gfn / PAGE_FRAMES);
      const pageEnd = (pageIndex + 1) * PAGE_FRAMES;
      const words = this.page(pageIndex) ?? this.newPage(pageIndex);
      const stop = Math.min(end, pageEnd);
      for (let offset = gfn - pageIndex * PAGE_FRAMES; gfn < stop; ) {
        const w = offset >>> 5;
        const from = offset & 31;
        const to = Math.min(32, from + (stop - gfn));
        visit(words, w, bitsMask(from, to));
        gfn += to - from;
        offset += to - from;
      }
    }
  }
}
