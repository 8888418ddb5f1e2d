/**
 * The L1 slot cache (src/replay/l1SlotCache.ts) serves an entry found past
 * the first place the lookup probes only while its path has filled nothing:
 * a 4K entry filled later for the same frame (a huge page split without a
 * flush leaves the old 2M entry in the TLB) is what the lookup finds first.
 * That 4K entry, at the first place, is served at any epoch (its first-place
 * index: src/tlb/firstPlaceIndex.ts).
 */
import { describe, expect, it } from 'vitest';
import { L1SlotCache, cachedHitOf as cachedHit, placeHitOf } from '../src/replay/l1SlotCache.js';
import { nothingProbedBefore } from '../src/tlb/tlbHierarchy.js';
import { TlbArray } from '../src/tlb/tlbArray.js';
import { Level } from '../src/mmu/level.js';
import { PERM_READ, PERM_RWX } from '../src/mmu/entry.js';
import { AccessKind } from '../src/mmu/vmOptions.js';
import { simpleGeometry } from '../src/tlb/tlbPresets.js';

const GEOMETRY = simpleGeometry(8, 2);

describe('L1 slot cache epochs', () => {
  it('drops a 2M entry once a slow-path lookup may have filled a 4K one for the frame; serves the 4K one at any epoch', () => {
    const tlb = new TlbArray(8, 2);
    const cache = new L1SlotCache(1, GEOMETRY);
    tlb.attachFirstPlace(cache.firstPlace, 0, PERM_RWX, 1 << Level.L4K, 0);
    tlb.fill(512, Level.L2M, PERM_READ); // frames 512..1023
    const hugeSlot = tlb.probe(600);
    cache.remember(0, 600, 0, tlb, hugeSlot, 600, 601); // 2M: not the first place probed (4K is)
    expect(cachedHit(cache, 0, 600, 0, PERM_READ)).toBeGreaterThanOrEqual(0);

    tlb.fill(600, Level.L4K, PERM_READ); // what a slow-path lookup of frame 600 does...
    cache.epochs[0]++; // ...and counts
    const smallSlot = tlb.probe(600);
    expect(smallSlot).not.toBe(hugeSlot); // the lookup now finds the 4K entry first
    expect(cachedHit(cache, 0, 600, 0, PERM_READ)).toBe(-1);

    tlb.indexFirstPlace(smallSlot); // 4K in the first array: found first whatever else is held
    cache.epochs[0]++;
    expect(placeHitOf(cache, 0, AccessKind.Read, 600)).toBe(Level.L4K);
    expect(placeHitOf(cache, 0, AccessKind.Write, 600)).toBe(0); // read-only: a write looks it up
  });

  it('serves the frames of many 2M pages from their 2M entries, until a slow-path lookup may have filled a 4K one', () => {
    const tlb = new TlbArray(8, 2);
    tlb.fill(512, Level.L2M, PERM_READ); // frames 512..1023
    tlb.fill(1024, Level.L2M, PERM_READ); // frames 1024..1535
    const cache = new L1SlotCache(1, GEOMETRY);
    cache.rememberRange(0, 512, 1024, 0, tlb, tlb.probe(600));
    cache.rememberRange(0, 1024, 1536, 0, tlb, tlb.probe(1100)); // the range entry is now this page
    // Frame 700 was never probed: its 2M page's entry serves it (no frame entry, not the range entry).
    expect(cachedHit(cache, 0, 700, 0, PERM_READ)).toBeGreaterThanOrEqual(0);
    expect(cachedHit(cache, 0, 700, 1, PERM_READ)).toBe(-1); // a fetch is another key
    expect(cachedHit(cache, 0, 1536, 0, PERM_READ)).toBe(-1); // the next 2M page: none
    tlb.fill(600, Level.L4K, PERM_READ); // a slow-path lookup's fill, found before the 2M entry...
    cache.epochs[0]++; // ...and counted: every 2M entry is now stale
    expect(cachedHit(cache, 0, 600, 0, PERM_READ)).toBe(-1);
    expect(cachedHit(cache, 0, 1100, 0, PERM_READ)).toBe(-1);
  });

  it('takes a huge entry as a range entry only when nothing probed before it is held', () => {
    const small = new TlbArray(8, 2, [Level.L4K]);
    const huge = new TlbArray(4, 4, [Level.L2M]);
    huge.fill(512, Level.L2M, PERM_READ);
    expect(nothingProbedBefore([small, huge], 1, Level.L2M)).toBe(true);
    small.fill(600, Level.L4K, PERM_READ); // frame 600 would be found in the 4K array first
    expect(nothingProbedBefore([small, huge], 1, Level.L2M)).toBe(false);
    const unified = new TlbArray(8, 2);
    unified.fill(512, Level.L2M, PERM_READ);
    expect(nothingProbedBefore([unified], 0, Level.L2M)).toBe(true);
    unified.fill(600, Level.L4K, PERM_READ); // 4K is probed before 2M in one array
    expect(nothingProbedBefore([unified], 0, Level.L2M)).toBe(false);
  });
});
