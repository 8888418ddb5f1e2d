/**
 * The first-place index (src/tlb/firstPlaceIndex.ts) that a TLB array keeps
 * its 4K entries in: an entry enters when a probe finds it (not at its
 * fill), for the kinds it permits, and leaves whenever its slot changes; a
 * hit through it is an LRU use. One set of two ways, so the victim of each
 * fill is known by hand. Its 2M entries serve only while nothing held is
 * probed before them.
 */
import { describe, expect, it } from 'vitest';
import { TlbArray } from '../src/tlb/tlbArray.js';
import { FIRST_PLACE_ENTRIES, FirstPlaceIndex, NO_FRAME, firstPlaceOffset, hugePlaceOffset, touchStamp } from '../src/tlb/firstPlaceIndex.js';
import { Level } from '../src/mmu/level.js';
import { PERM_EXEC, PERM_READ, PERM_WRITE } from '../src/mmu/entry.js';
import { AccessKind } from '../src/mmu/vmOptions.js';
import { TlbHierarchy } from '../src/tlb/tlbHierarchy.js';
import { simpleGeometry } from '../src/tlb/tlbPresets.js';

/** A 2-entry, 2-way 4K array attached as hierarchy 0's first place for reads and writes. */
function attached(): { tlb: TlbArray; index: FirstPlaceIndex } {
  const tlb = new TlbArray(2, 2, [Level.L4K]);
  const index = new FirstPlaceIndex(1, 2);
  tlb.attachFirstPlace(index, 0, PERM_READ | PERM_WRITE, 1 << Level.L4K, 0);
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

  it('2M entries of a one-array TLB: indexed by 2M page, live only while the array holds no 4K entry', () => {
    const geometry = simpleGeometry(8, 2);
    const index = new FirstPlaceIndex(1, TlbHierarchy.firstPlaceStamps(geometry));
    const tlb = new TlbHierarchy(geometry);
    tlb.attachFirstPlace(index, 0);
    const array = tlb.l1d[0];
    const live = (): number => index.hugeLive[AccessKind.Read];
    tlb.fill(1024, Level.L2M, PERM_READ, false); // frames 1024..1535: 2M page 2
    tlb.indexFirstPlace(array, array.probe(1100));
    expect(index.keys[hugePlaceOffset(0, AccessKind.Read, 2)]).toBe(2);
    expect(live()).toBe(1); // no 4K entry: the 2M entry is what any frame of page 2 finds first
    tlb.fill(1100, Level.L4K, PERM_READ, false); // a 4K entry, probed before the 2M one for frame 1100
    expect(live()).toBe(0);
    tlb.flushRange(1100, 1101); // drops both (the 2M entry overlaps too)
    expect(index.keys[hugePlaceOffset(0, AccessKind.Read, 2)]).toBe(NO_FRAME);
    tlb.fill(1024, Level.L2M, PERM_READ, false);
    tlb.indexFirstPlace(array, array.probe(1100));
    expect(live()).toBe(1); // nothing held before the 2M entry again
  });
});
