/**
 * A reach curve fed through its operation stream (src/tlb/reachOps.ts:
 * buffered, then applied in order, hits at top added as a count) equals the
 * curve fed the same operations one call at a time, over lookups with and
 * without the permission, misses without a fill, range and full
 * invalidations, and hits at top.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReachCurve } from '../src/tlb/reachCurve.js';
import { OP_INVALIDATE_ALL, OP_INVALIDATE_RANGE, OP_LOOKUP_NO_PERM, OP_MISS_NO_FILL, applyReachOps } from '../src/tlb/reachOps.js';
import { propertyParams } from './helpers/propertyConfig.js';

type Operation =
  | { kind: 'lookup'; tag: number; permOk: boolean }
  | { kind: 'top' }
  | { kind: 'mmio' }
  | { kind: 'range'; startGfn: number; endGfn: number }
  | { kind: 'all' };

/** 4K pages 0..39 and 2M pages 1..4. */
const TAGS = [...Array.from({ length: 40 }, (_, i) => i * 4 + 1), ...Array.from({ length: 4 }, (_, i) => (i + 1) * 512 * 4 + 2)];

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('lookup' as const), tag: fc.constantFrom(...TAGS), permOk: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'top' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'mmio' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('range' as const), startGfn: fc.integer({ min: 0, max: 3000 }), endGfn: fc.integer({ min: 0, max: 3000 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'all' as const }) },
);

/** One call per operation, each at its place (a hit at top only right after a lookup with the permission, as the feed uses it). */
function direct(ops: readonly Operation[]): ReachCurve {
  const curve = new ReachCurve();
  for (const op of ops) {
    if (op.kind === 'lookup') curve.lookup(op.tag, op.permOk);
    else if (op.kind === 'top') curve.hitsAtTop(1);
    else if (op.kind === 'mmio') curve.missWithoutFill();
    else if (op.kind === 'range') curve.invalidateRange(op.startGfn, op.endGfn);
    else curve.invalidateAll();
  }
  return curve;
}

/** Encoded into one stream, hits at top counted apart and added after. */
function streamed(ops: readonly Operation[]): ReachCurve {
  const words: number[] = [];
  let topHits = 0;
  for (const op of ops) {
    if (op.kind === 'lookup') words.push(...(op.permOk ? [op.tag] : [OP_LOOKUP_NO_PERM, op.tag]));
    else if (op.kind === 'top') topHits++;
    else if (op.kind === 'mmio') words.push(OP_MISS_NO_FILL);
    else if (op.kind === 'range') words.push(OP_INVALIDATE_RANGE, op.startGfn, op.endGfn);
    else words.push(OP_INVALIDATE_ALL);
  }
  const curve = new ReachCurve();
  applyReachOps(curve, Float64Array.from(words), 0, words.length);
  curve.hitsAtTop(topHits);
  return curve;
}

/** Keep a hit at top only where the stack's top is the translation looked up last (a lookup with the permission, nothing between). */
function feedable(ops: readonly Operation[]): Operation[] {
  let topValid = false;
  return ops.filter((op) => {
    if (op.kind === 'top') return topValid;
    topValid = op.kind === 'lookup' && op.permOk;
    if (op.kind === 'mmio') topValid = false;
    return true;
  });
}

describe('reach curve operation stream', () => {
  it('a hand-checked stream: 3 lookups, a permission miss, a range flush, a hit at top', () => {
    // Tags 5 (frame 1), 9 (frame 2), 5 again: distances inf, inf, 2. Then 9 without the permission: a miss everywhere.
    // Flush [1, 2) drops frame 1 (tag 5); 5 again is a miss everywhere; the hit at top hits everywhere.
    const ops = Float64Array.from([5, 9, 5, OP_LOOKUP_NO_PERM, 9, OP_INVALIDATE_RANGE, 1, 2, 5]);
    const curve = new ReachCurve([1, 2, 4]);
    applyReachOps(curve, ops, 0, ops.length);
    curve.hitsAtTop(1);
    // Misses at size 1: 5, 9, 5 (distance 2), 9 (no perm), 5 = 5; at 2 and 4: 5 minus the distance-2 hit = 4.
    expect(curve.curve()).toEqual({ entries: [1, 2, 4], misses: [5, 4, 4] });
    expect(curve.lookups).toBe(6);
  });

  it('equals the curve fed one call at a time', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 300 }), (raw) => {
        const ops = feedable(raw);
        expect(streamed(ops).curve()).toEqual(direct(ops).curve());
      }),
      propertyParams(300),
    );
  });

  it('refuses an unknown operation, naming it and where', () => {
    expect(() => applyReachOps(new ReachCurve(), Float64Array.from([5, -9]), 0, 2)).toThrow('reach ops: unknown operation -9 at 1');
  });
});
