/**
 * TagTable (the reach curve's tag -> int32 table) behaves as a Map under any
 * sequence of sets, deletes and clears, with tags as the curve makes them
 * (aligned 4K/2M/1G frames * 4 + level, up to 2^52 frames): checked against
 * a Map by fast-check (fixed seed), through several growths and the
 * backward-shift deletion's wrap-around.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TagTable } from '../src/tlb/tagTable.js';

const tagArb = fc.oneof(
  fc.integer({ min: 0, max: 4000 }).map((gfn) => gfn * 4 + 1), // dense 4K: many collisions in a small table
  fc.integer({ min: 0, max: 2000 }).map((k) => k * 512 * 4 + 2), // 2M-aligned: low bits all equal
  fc.integer({ min: 0, max: 2 ** 20 }).map((k) => k * 2 ** 32 * 4 + 3), // far apart, above 2^32 frames
);
const opArb = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), tag: tagArb, time: fc.integer({ min: 0, max: 2 ** 30 }) }),
  fc.record({ kind: fc.constant('delete' as const), tag: tagArb }),
  fc.record({ kind: fc.constant('clear' as const) }),
);

describe('TagTable', () => {
  it('agrees with a Map on get, delete, size and the entries', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 3000 }), (ops) => {
        const table = new TagTable();
        const map = new Map<number, number>();
        for (const op of ops) {
          if (op.kind === 'set') {
            table.set(op.tag, op.time);
            map.set(op.tag, op.time);
          } else if (op.kind === 'delete') {
            expect(table.delete(op.tag)).toBe(map.get(op.tag) ?? -1);
            map.delete(op.tag);
          } else {
            table.clear();
            map.clear();
          }
          if (op.kind !== 'clear') expect(table.get(op.tag)).toBe(map.get(op.tag) ?? -1);
        }
        expect(table.size).toBe(map.size);
        const entries: [number, number][] = [];
        table.forEach((tag, time) => {
          entries.push([tag, time]);
        });
        expect(entries.sort((a, b) => a[0] - b[0])).toEqual([...map].sort((a, b) => a[0] - b[0]));
        for (const [tag, time] of map) expect(table.get(tag)).toBe(time);
      }),
      { seed: 20261202, numRuns: 200 },
    );
  });

  it('2000 2M-aligned tags in and half of them out: every lookup exact (growth from 1024 slots)', () => {
    const table = new TagTable();
    for (let k = 0; k < 2000; k++) table.set(k * 2048 + 2, k);
    for (let k = 0; k < 2000; k += 2) expect(table.delete(k * 2048 + 2)).toBe(k);
    expect(table.size).toBe(1000);
    for (let k = 0; k < 2000; k++) expect(table.get(k * 2048 + 2)).toBe(k % 2 === 0 ? -1 : k);
  });
});
