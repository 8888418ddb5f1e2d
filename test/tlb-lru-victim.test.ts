/**
 * TlbArray's LRU victim (stamps, the fill-order cursor that skips the scan,
 * the scan when an entry was used since its fill) is exactly LRU: checked
 * against a reference model, per set a list of tags from least to most
 * recently used, under any sequence of lookups, fills, range flushes and
 * full flushes (fast-check, fixed seed), with 4K and 2M entries in one array;
 * a full flush tells its visitor of exactly the entries held.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TlbArray } from '../src/tlb/tlbArray.js';
import { Level, pagesPerLevel } from '../src/mmu/level.js';
import { PERM_READ } from '../src/mmu/entry.js';

const ENTRIES = 12;
const WAYS = 4;
const SETS = ENTRIES / WAYS;

/** The reference: per set, `firstGfn * 4 + level` tags in LRU order (least recent first). */
class ReferenceLru {
  readonly sets: number[][] = Array.from({ length: SETS }, () => []);

  private static tagOf(gfn: number, level: Level): { set: number; tag: number } {
    const page = Math.floor(gfn / pagesPerLevel(level));
    return { set: page % SETS, tag: page * pagesPerLevel(level) * 4 + level };
  }

  /** As `TlbArray.lookup`: the 4K entry first, then the 2M one; a hit becomes the most recent. */
  lookup(gfn: number): number {
    for (const level of [Level.L4K, Level.L2M]) {
      const { set, tag } = ReferenceLru.tagOf(gfn, level);
      const ways = this.sets[set];
      const at = ways.indexOf(tag);
      if (at < 0) continue;
      ways.splice(at, 1);
      ways.push(tag);
      return level;
    }
    return 0;
  }

  fill(gfn: number, level: Level): void {
    const { set, tag } = ReferenceLru.tagOf(gfn, level);
    const ways = this.sets[set];
    const at = ways.indexOf(tag);
    if (at >= 0) ways.splice(at, 1);
    else if (ways.length === WAYS) ways.shift();
    ways.push(tag);
  }

  flushRange(startGfn: number, endGfn: number): number {
    let dropped = 0;
    for (const [s, ways] of this.sets.entries()) {
      const kept = ways.filter((tag) => {
        const level = tag % 4;
        const first = (tag - level) / 4;
        return !(first < endGfn && first + pagesPerLevel(level) > startGfn);
      });
      dropped += ways.length - kept.length;
      this.sets[s] = kept;
    }
    return dropped;
  }

  flushAll(): number {
    const dropped = this.sets.reduce((n, ways) => n + ways.length, 0);
    for (const ways of this.sets) ways.length = 0;
    return dropped;
  }

  entries(): string[] {
    return this.sets
      .flat()
      .map((tag) => `${(tag - (tag % 4)) / 4}@${tag % 4}`)
      .sort();
  }
}

// Few frames, so lookups hit and sets fill and conflict: 24 4K frames (8 per set) and 4 2M pages over them and beyond.
const gfnArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 23 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 23 })).map(([huge, gfn]) => huge * 512 + gfn) },
);
const opArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('lookup' as const), gfn: gfnArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('fill' as const), gfn: gfnArb, huge: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flushRange' as const), gfn: gfnArb, pages: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'flushAll' as const }) },
);

describe('TLB LRU victim', () => {
  it('agrees with a reference LRU on every lookup, flush count and the entries held (property)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 100, maxLength: 400 }), (ops) => {
        const tlb = new TlbArray(ENTRIES, WAYS, [Level.L4K, Level.L2M]);
        const ref = new ReferenceLru();
        for (const op of ops) {
          if (op.kind === 'lookup') expect(tlb.lookup(op.gfn)).toBe(ref.lookup(op.gfn));
          else if (op.kind === 'fill') {
            const level = op.huge ? Level.L2M : Level.L4K;
            // `absent` only when no entry has the tag, as its callers promise.
            const first = op.gfn - (op.gfn % pagesPerLevel(level));
            const absent = !ref.entries().includes(`${first}@${level}`);
            tlb.fill(op.gfn, level, PERM_READ, absent);
            ref.fill(op.gfn, level);
          } else if (op.kind === 'flushRange') expect(tlb.flushRange(op.gfn, op.gfn + op.pages)).toBe(ref.flushRange(op.gfn, op.gfn + op.pages));
          else {
            const seen: string[] = [];
            const before = ref.entries();
            expect(tlb.flushAll((first, level) => seen.push(`${first}@${level}`))).toBe(ref.flushAll());
            expect(seen.sort()).toEqual(before);
          }
        }
        const held: string[] = [];
        tlb.forEachEntry((first, level) => held.push(`${first}@${level}`));
        expect(held.sort()).toEqual(ref.entries());
      }),
      { seed: 14, numRuns: 300 },
    );
  });

  it('fills that go round a set unused evict in fill order; a use in between makes the next fill evict another', () => {
    // One set of 2 ways: fill 0, 1 (full); fill 2 evicts 0 (least recently filled, unused);
    // use 1, then fill 3 evicts 2: 1 was filled before 2 but used after it.
    const tlb = new TlbArray(2, 2, [Level.L4K]);
    for (const gfn of [0, 1, 2]) tlb.fill(gfn, Level.L4K, PERM_READ, true);
    expect(tlb.lookup(0)).toBe(0);
    expect(tlb.lookup(1)).toBe(Level.L4K);
    tlb.fill(3, Level.L4K, PERM_READ, true);
    expect(tlb.lookup(2)).toBe(0);
    expect(tlb.lookup(1)).toBe(Level.L4K);
    expect(tlb.lookup(3)).toBe(Level.L4K);
  });
});
