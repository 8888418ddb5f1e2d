/**
 * The LRU victim of a full TLB set (src/tlb/tlbArray.ts): per slot, `stamps`
 * holds the time of its last fill or use and `fillStamps` that of its last
 * fill; a set's ways are the slots `[base, base + ways)`.
 */

/**
 * The LRU victim of a full set, usually without the scan. While a set's
 * fills go round its ways in order (the empty ways first to last, then each
 * fill replacing the way after the last one filled; no drop or refill out
 * of turn since it was empty), the way at `cursor` (the set's fill cursor,
 * or -1 when its fills have not gone round in order) is its least recently
 * filled: every other valid way was filled later, so its stamp is at least
 * that later fill's. If that way has not been used since its fill, its
 * stamp is the oldest, and it is the victim `oldestOf` would find.
 * Otherwise the scan decides.
 */
export function victimOf(stamps: Float64Array, fillStamps: Float64Array, cursor: number, base: number, ways: number): number {
  if (cursor >= 0 && stamps[base + cursor] === fillStamps[base + cursor]) return base + cursor;
  return oldestOf(stamps, base, ways);
}

/** The fill cursor of a full set once `victim` is filled: the next way when the victim was the cursor's, else -1 (out of turn). */
export function turnAfter(cursor: number, base: number, victim: number, ways: number): number {
  if (cursor < 0 || victim !== base + cursor) return -1;
  return cursor + 1 === ways ? 0 : cursor + 1;
}

/** The least recently used slot of the full set whose ways start at `base`. */
function oldestOf(stamps: Float64Array, base: number, ways: number): number {
  let oldest = base;
  let oldestStamp = stamps[base];
  for (let i = base + 1, end = base + ways; i < end; i++) {
    const stamp = stamps[i];
    if (stamp < oldestStamp) {
      oldest = i;
      oldestStamp = stamp;
    }
  }
  return oldest;
}
