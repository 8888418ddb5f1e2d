import type { Level } from '../mmu/level.js';

/**
 * The tag of the translation whose first frame is `firstGfn` at `level`: how
 * a TLB array (`tlbArray.ts`), the reach curve and the refill set name a
 * translation. Exact in a double up to 2^51 frames.
 */
export function tlbTag(firstGfn: number, level: Level): number {
  return firstGfn * 4 + level;
}
