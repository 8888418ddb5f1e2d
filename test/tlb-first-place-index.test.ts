/**
 * The first-place index (src/tlb/firstPlaceIndex.ts) that a TLB array keeps
 * its 4K entries in: an entry enters when a probe finds it (not at its
 * fill), for the kinds it permits, and leaves whenever its slot changes; a
 * hit through it is an LRU use. One set of two ways throughout, so the
 * victim of each fill is known by hand.
 */
import { describe, expect, it } from 'vitest';
import { TlbArray } from '../src/tlb/tlbArray.js';
import { FIRST_PLACE_ENTRIES, FirstPlaceIndex, NO_FRAME, firstPlaceOffset, touchStamp } from '../src/tlb/firstPlaceIndex.js';
import { Level } from '../src/mmu/level.js';
import { PERM_EXEC, PERM_READ, PERM_WRITE } from '../src/mmu/entry.js';
import { AccessKind } from '../src/mmu/vmOptions.js';

/** A 2-entry, 2-way 4K array attached as hierarchy 0's first place for reads and writes. */
function attached(): { tlb: TlbArray; index: FirstPlaceIndex } {
  const tlb = new TlbArray(2, 2, [Level.L4K]);
  const index = new FirstPlaceIndex(1, 2);
  tlb.attachFirstPlace(index, 0, PERM_READ | PERM_WRITE, 0);
  return { tlb, index };
}

const keyOf = (index: FirstPlaceIndex, kind: AccessKind, gfn: number): number => index.keys[firstPlaceOffset(0, kind, gfn)];

describe('first-place index', () => {
  it('holds an entry once a probe found it, for the kinds it permits and the array serves', () => {
    const { tlb, index } = attached();
    tlb.fill(10, Level.L4K, PERM_READ | PERM_EXEC);
    expect(keyOf(index, AccessKind.Read, 10)).toBe(NO_FRAME); // filled, not yet used again
    tlb.indexFirstPlace(tlb.probe(10));
    expect(keyOf(index, AccessKind.Read, 10)).toBe(10);
    expect(keyOf(index, AccessKind.Write, 10)).toBe(NO_FRAME); // not writable
    expect(keyOf(index, AccessKind.Exec, 10)).toBe(NO_FRAME); // executable, but this array serves no fetches
  });

  it('loses an entry when its slot is refilled, evicted or flushed', () => {
    const { tlb, index } = attached();
    tlb.fill(10, Level.L4K, PERM_READ | PERM_WRITE);
    tlb.indexFirstPlace(tlb.probe(10));
    tlb.fill(10, Level.L4K, PERM_READ); // refilled read-only (a write-protect): a write must look it up
    expect(keyOf(index, AccessKind.Write, 10)).toBe(NO_FRAME);
    tlb.indexFirstPlace(tlb.probe(10));
    tlb.fill(11, Level.L4K, PERM_READ);
    tlb.fill(12, Level.L4K, PERM_READ); // the set's LRU entry is 10 (filled before 11): evicted
    expect(tlb.probe(10)).toBe(-1);
    expect(keyOf(index, AccessKind.Read, 10)).toBe(NO_FRAME);
    tlb.indexFirstPlace(tlb.probe(12));
    tlb.flushRange(12, 13);
    expect(keyOf(index, AccessKind.Read, 12)).toBe(NO_FRAME);
    tlb.fill(12, Level.L4K, PERM_READ);
    tlb.indexFirstPlace(tlb.probe(12));
    tlb.flushAll();
    expect(keyOf(index, AccessKind.Read, 12)).toBe(NO_FRAME);
  });

  it('a hit through it makes the entry the most recent of its set', () => {
    const { tlb, index } = attached();
    tlb.fill(10, Level.L4K, PERM_READ);
    tlb.fill(11, Level.L4K, PERM_READ);
    tlb.indexFirstPlace(tlb.probe(10));
    // What the replay loop does on a hit: one stamp store. 10 is now more recent than 11...
    touchStamp(index.stamps, index.clock, index.stampAt[firstPlaceOffset(0, AccessKind.Read, 10)]);
    tlb.fill(12, Level.L4K, PERM_READ); // ...so 11 is the victim
    expect(tlb.probe(10)).toBeGreaterThanOrEqual(0);
    expect(tlb.probe(11)).toBe(-1);
  });

  it('a frame that shares an entry with another displaces it; leaving, it does not take the other out', () => {
    const { tlb, index } = attached();
    const other = 10 + FIRST_PLACE_ENTRIES; // the same index entry as frame 10
    tlb.fill(10, Level.L4K, PERM_READ);
    tlb.fill(other, Level.L4K, PERM_READ);
    tlb.indexFirstPlace(tlb.probe(10));
    tlb.indexFirstPlace(tlb.probe(other));
    expect(keyOf(index, AccessKind.Read, 10)).toBe(other); // 10 is still held: found by the full lookup
    tlb.flushRange(10, 11);
    expect(keyOf(index, AccessKind.Read, other)).toBe(other);
  });
});
