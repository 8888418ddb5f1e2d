/**
 * The reach curve's node arrays start at 1024 nodes and double as the
 * stack grows: a stack of 2049 tags keeps its order and its nodes' size
 * classes across the two doublings (the second comes with tag 2048, the
 * last of the first pass). The first pass, tags 0..2048, misses at every
 * size (2049 compulsory misses). The second looks them up newest first:
 * its j-th lookup (tag 2048 - j) is at stack distance j + 1 (the j tags
 * looked up before it went above it), so distances 1..2049 come once each,
 * and a TLB of N entries misses the 2049 - N of them deeper than N. Exact
 * misses: 2049 + max(0, 2049 - N) (4082 at 16, 2050 at 2048, 2049 from
 * 4096 up).
 */
import { describe, expect, it } from 'vitest';
import { REACH_SIZES, ReachCurve } from '../src/tlb/reachCurve.js';

const TAGS = 2049;

describe('reach curve past its first node arrays', () => {
  it('counts every distance of a 2049-tag stack exactly after growing twice', () => {
    const curve = new ReachCurve();
    for (let t = 0; t < TAGS; t++) curve.lookup(t * 4 + 1, true);
    for (let t = TAGS - 1; t >= 0; t--) curve.lookup(t * 4 + 1, true);
    const expected = REACH_SIZES.map((size) => TAGS + Math.max(0, TAGS - size));
    expect(expected.slice(0, 2)).toEqual([4082, 4066]);
    expect(curve.curve().misses).toEqual(expected);
  });
});
