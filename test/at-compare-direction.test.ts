import { describe, expect, it } from 'vitest';
import { metricDirection } from '../src/report/compare/metricDirection.js';

describe('AT counters in the comparison', () => {
  it('the slow path and its costs are better lower, the fast path higher, the AT count neutral', () => {
    expect(['at_slow', 'at_pan_checks', 'at_walk_reads', 'at_faults'].map(metricDirection)).toEqual(['lower', 'lower', 'lower', 'lower']);
    expect(metricDirection('at_fast')).toBe('higher');
    expect(metricDirection('at_ops')).toBe('neutral');
  });
});
