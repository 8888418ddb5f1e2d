/**
 * `TlbArray.flushAll` of an array holding few entries visits only the sets
 * that hold some (a TLB flushed every few dozen accesses refills little in
 * between); of a fuller one, every slot. Both tell the visitor of exactly
 * the entries held, in slot order, and leave the array as a new one: the
 * same fills then land in the same slots and evict the same entries.
 */
import { describe, expect, it } from 'vitest';
import { TlbArray } from '../src/tlb/tlbArray.js';
import { Level } from '../src/mmu/level.js';
import { PERM_READ } from '../src/mmu/entry.js';

/** 64 entries, 4 ways: 16 sets (set = gfn mod 16). */
const ENTRIES = 64;
const WAYS = 4;

/** The slot of every gfn of `gfns` after filling them in order into `array`. */
function slotsAfterFills(array: TlbArray, gfns: readonly number[]): number[] {
  for (const gfn of gfns) array.fill(gfn, Level.L4K, PERM_READ);
  return gfns.map((gfn) => array.probe(gfn));
}

/** 40 fills into sets 0 and 1 only (5 rounds of 4 per set): each set's fills go round its ways, evicting. */
const REFILL = Array.from({ length: 40 }, (_, i) => (i % 2) + 16 * Math.floor(i / 2));

describe('TlbArray.flushAll', () => {
  it('3 entries of 64 (sparse): visits the three, in slot order, and leaves a new array', () => {
    const array = new TlbArray(ENTRIES, WAYS);
    for (const gfn of [35, 2, 18]) array.fill(gfn, Level.L4K, PERM_READ); // sets 3, 2, 2
    const seen: number[] = [];
    expect(array.flushAll((first) => seen.push(first))).toBe(3);
    // Slot order: set 2's ways (2, then 18), then set 3's (35).
    expect(seen).toEqual([2, 18, 35]);
    expect(array.validEntries()).toBe(0);
    expect(slotsAfterFills(array, REFILL)).toEqual(slotsAfterFills(new TlbArray(ENTRIES, WAYS), REFILL));
  });

  it('every entry valid (dense): visits all 64 and leaves a new array', () => {
    const array = new TlbArray(ENTRIES, WAYS);
    const all = Array.from({ length: ENTRIES }, (_, gfn) => gfn);
    slotsAfterFills(array, all);
    const seen: number[] = [];
    expect(array.flushAll((first) => seen.push(first))).toBe(ENTRIES);
    // Slot order: set s holds gfns s, s + 16, s + 32, s + 48 in ways 0-3.
    expect(seen.slice(0, 5)).toEqual([0, 16, 32, 48, 1]);
    expect(slotsAfterFills(array, REFILL)).toEqual(slotsAfterFills(new TlbArray(ENTRIES, WAYS), REFILL));
  });

  it('a set whose fills had gone round past way 0 starts again at way 0', () => {
    // Set 0: 0, 16, 32, 48 fill ways 0-3, then 64 replaces way 0: the next fill in turn would be way 1.
    const array = new TlbArray(ENTRIES, WAYS);
    slotsAfterFills(array, [0, 16, 32, 48, 64]);
    array.flushAll(); // 4 of 64 valid: the sparse path
    // Five fills into set 0 after the flush: ways 0-3, then the fifth evicts the least recently used, way 0 (gfn 80).
    const fills = [80, 96, 112, 128, 144];
    expect(slotsAfterFills(array, fills)).toEqual(slotsAfterFills(new TlbArray(ENTRIES, WAYS), fills));
    expect([array.probe(80), array.probe(144), array.probe(96)]).toEqual([-1, 0, 1]);
  });
});
