/**
 * The reach curve (src/tlb/reachCurve.ts) equals, at every size, the misses
 * of a direct simulation of a fully associative LRU TLB of that size, and of
 * src/tlb/tlbArray.ts built with N entries and N ways, over lookups,
 * permission misses, single, range and full invalidations.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReachCurve, REACH_SIZES, sumReachCurves } from '../src/tlb/reachCurve.js';
import { TlbArray } from '../src/tlb/tlbArray.js';
import { PERM_READ } from '../src/mmu/entry.js';
import { propertyParams } from './helpers/propertyConfig.js';

type Operation =
  | { kind: 'lookup'; tag: number; permOk: boolean }
  | { kind: 'invalidate'; tag: number }
  | { kind: 'range'; startGfn: number; endGfn: number }
  | { kind: 'all' };

const frames = (level: number): number => 512 ** (level - 1);
const tagOf = (firstGfn: number, level: number): number => firstGfn * 4 + level;

/**
 * Translations that never overlap, so a TlbArray lookup by GFN finds the
 * same entry as a lookup by tag: 4K pages 0..39, 2M pages 1..6 (GFN 512..),
 * 1G pages 1..2 (GFN 262144..).
 */
const TAGS = [
  ...Array.from({ length: 40 }, (_, i) => tagOf(i, 1)),
  ...Array.from({ length: 6 }, (_, i) => tagOf((i + 1) * 512, 2)),
  ...Array.from({ length: 2 }, (_, i) => tagOf((i + 1) * 262144, 3)),
];

/** The direct model: an MRU-first list of at most `size` tags. */
function directMisses(ops: readonly Operation[], size: number): number {
  let list: number[] = [];
  let misses = 0;
  for (const op of ops) {
    if (op.kind === 'lookup') {
      const i = list.indexOf(op.tag);
      if (i < 0 || !op.permOk) misses++;
      if (i >= 0) list.splice(i, 1);
      else if (list.length === size) list.pop(); // full: evict the LRU; else fill a free slot
      list.unshift(op.tag);
    } else if (op.kind === 'invalidate') {
      list = list.filter((t) => t !== op.tag);
    } else if (op.kind === 'range') {
      list = list.filter((t) => {
        const level = t % 4;
        const first = (t - level) / 4;
        return !(first < op.endGfn && first + frames(level) > op.startGfn);
      });
    } else {
      list = [];
    }
  }
  return misses;
}

/** The model's own TLB array, fully associative (N entries, N ways). */
function tlbArrayMisses(ops: readonly Operation[], size: number): number {
  const tlb = new TlbArray(size, size);
  let misses = 0;
  for (const op of ops) {
    if (op.kind === 'lookup') {
      const level = op.tag % 4;
      const gfn = (op.tag - level) / 4;
      const hit = tlb.lookup(gfn) === level;
      if (!hit || !op.permOk) {
        misses++;
        tlb.fill(gfn, level, PERM_READ); // a permission miss refills the same entry
      }
    } else if (op.kind === 'invalidate') {
      const level = op.tag % 4;
      const gfn = (op.tag - level) / 4;
      tlb.flushRange(gfn, gfn + frames(level));
    } else if (op.kind === 'range') {
      tlb.flushRange(op.startGfn, op.endGfn);
    } else {
      tlb.flushAll();
    }
  }
  return misses;
}

function curveOf(ops: readonly Operation[], sizes: readonly number[]): ReachCurve {
  const curve = new ReachCurve(sizes);
  for (const op of ops) {
    if (op.kind === 'lookup') curve.lookup(op.tag, op.permOk);
    else if (op.kind === 'invalidate') curve.invalidate(op.tag);
    else if (op.kind === 'range') curve.invalidateRange(op.startGfn, op.endGfn);
    else curve.invalidateAll();
  }
  return curve;
}

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('lookup' as const), tag: fc.constantFrom(...TAGS), permOk: fc.constant(true) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lookup' as const), tag: fc.constantFrom(...TAGS), permOk: fc.constant(false) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('invalidate' as const), tag: fc.constantFrom(...TAGS) }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 3 * 262144 }), fc.integer({ min: 1, max: 2000 }))
      .map(([startGfn, length]) => ({ kind: 'range' as const, startGfn, endGfn: startGfn + length })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('range' as const), startGfn: fc.integer({ min: 0, max: 40 }), endGfn: fc.integer({ min: 41, max: 4000 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'all' as const }) },
);

const SIZES = [1, 2, 3, 4, 5, 8, 13, 16, 32, 64];

describe('TLB reach curve (LRU stack distances with holes)', () => {
  it('A B A C B A: a 2-entry TLB misses 5 times, a 1-entry 6, a 3-entry 3', () => {
    // Stack distances: A inf, B inf, A 2, C inf, B 3, A 3. Misses at size N:
    // lookups with distance > N: N=1: 6; N=2: 5 (A at 2 hits); N=3: 3.
    const [a, b, c] = [tagOf(0, 1), tagOf(1, 1), tagOf(2, 1)];
    const curve = new ReachCurve([1, 2, 3]);
    for (const tag of [a, b, a, c, b, a]) curve.lookup(tag, true);
    expect(curve.curve()).toEqual({ entries: [1, 2, 3], misses: [6, 5, 3] });
  });

  it('an invalidation leaves a free slot: A B C, drop B, D, then A hits in a 3-entry TLB', () => {
    // 3 entries: [C B A]; drop B: [C _ A]; D fills the hole: [D C A]; A hits.
    // 2 entries: [C B]; drop B: [C]; D: [D C]; A misses.
    const [a, b, c, d] = [0, 1, 2, 3].map((g) => tagOf(g, 1));
    const curve = new ReachCurve([2, 3]);
    for (const tag of [a, b, c]) curve.lookup(tag, true);
    curve.invalidate(b);
    curve.lookup(d, true);
    curve.lookup(a, true);
    expect(curve.curve().misses).toEqual([5, 4]);
    const ops = [...opsOf([a, b, c]), { kind: 'invalidate', tag: b } as Operation, ...opsOf([d, a])];
    expect([directMisses(ops, 2), directMisses(ops, 3)]).toEqual([5, 4]);
  });

  it('a permission miss misses at every size and refills the entry', () => {
    const a = tagOf(0, 1);
    const curve = new ReachCurve([1, 16]);
    curve.lookup(a, true);
    curve.lookup(a, false);
    curve.lookup(a, true);
    expect(curve.curve().misses).toEqual([2, 2]); // the first touch and the permission miss
  });

  it('a range invalidation drops the 4K, 2M and 1G translations overlapping it, and nothing else', () => {
    // Range [600, 700): inside 2M page 512..1023 and 1G page 0..262143; 4K page 5 is outside.
    const tags = [tagOf(5, 1), tagOf(512, 2), tagOf(0, 3), tagOf(650, 1)];
    const curve = new ReachCurve([16]);
    for (const tag of tags) curve.lookup(tag, true);
    curve.invalidateRange(600, 700);
    for (const tag of tags) curve.lookup(tag, true);
    expect(curve.misses(16)).toBe(4 + 3);
  });

  it('equals a direct fully associative LRU simulation at sizes 1..64', () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 1, maxLength: 400, size: 'max' }), (ops) => {
        const curve = curveOf(ops, SIZES);
        for (const size of SIZES) expect(curve.misses(size), `size ${size}`).toBe(directMisses(ops, size));
      }),
      propertyParams(300),
    );
  });

  it('equals src/tlb/tlbArray.ts with N entries and N ways', () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 1, maxLength: 300, size: 'max' }), (ops) => {
        const curve = curveOf(ops, SIZES);
        for (const size of SIZES) expect(curve.misses(size), `size ${size}`).toBe(tlbArrayMisses(ops, size));
      }),
      propertyParams(150),
    );
  });

  it('stays exact across time compaction (thousands of lookups over a small tree)', () => {
    // 5000 lookups overflow the initial 1024-time tree several times.
    fc.assert(
      fc.property(fc.array(operation, { minLength: 3000, maxLength: 5000 }), (ops) => {
        const curve = curveOf(ops, SIZES);
        for (const size of SIZES) expect(curve.misses(size), `size ${size}`).toBe(directMisses(ops, size));
      }),
      propertyParams(5),
    );
  });

  it('the default sizes are 16, 32, ... 65536 and per-vCPU curves add up', () => {
    expect(REACH_SIZES).toEqual([16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);
    expect(
      sumReachCurves([
        { entries: [1, 2], misses: [5, 3] },
        { entries: [1, 2], misses: [2, 2] },
      ]),
    ).toEqual({ entries: [1, 2], misses: [7, 5] });
    expect(() => new ReachCurve([4, 2])).toThrow(RangeError);
  });
});

function opsOf(tags: number[]): Operation[] {
  return tags.map((tag) => ({ kind: 'lookup', tag, permOk: true }));
}
