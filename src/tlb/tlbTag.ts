import type { Level } from '../mmu/level.js';

/**
 * The tag of the translation whose first frame is `firstGfn` at `level`: how
 * a TLB array (`tlbArray.ts`), the reach curve and the refill set name a
 * translation. Exact in a double up to 2^51 frames.
 */
export function tlbTag(firstGfn: number, level: Level): number {
  return firstGfn * 4 + level;
}

/** The level of the translation tagged `tag` (`tag % 4`: a floating-point remainder, so not for a hot path). */
export function tlbTagLevel(tag: number): Level {
  return (tag % 4) as Level;
}

/** The first frame of the translation tagged `tag` at `level` (the inverse of `tlbTag`). */
export function tlbTagFirstGfn(tag: number, level: Level): number {
  return (tag - level) / 4;
}
