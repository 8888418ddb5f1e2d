/**
 * FaultCurve, the one sampler of the deterministic replay and the per-vCPU
 * workers: a point is due after each hundredth of the events (a fractional
 * step), several points at once when a replay stops late, the rest filled
 * at the end with the final count.
 */
import { describe, expect, it } from 'vitest';
import { FaultCurve } from '../src/replay/faultCurve.js';

describe('FaultCurve', () => {
  it('250 events: points due at 2.5, 5, 7.5, ...; a late stop takes every point due; finish fills the rest', () => {
    const curve = new FaultCurve(250);
    curve.sample(2, 1); // 2 < 2.5: nothing due
    expect(curve.points).toEqual([0]);
    curve.sample(3, 7); // 3 >= 2.5: the first point; the next is due at 5
    expect(curve.points).toEqual([0, 7]);
    expect(curve.due).toBe(5);
    curve.sample(9, 8); // 9 >= 5 and >= 7.5: two points; the next at 10
    expect(curve.points).toEqual([0, 7, 8, 8]);
    expect(curve.due).toBe(10);
    const points = curve.finish(9); // 97 points never reached, at the final 9
    expect(points).toHaveLength(101);
    expect(points.slice(0, 5)).toEqual([0, 7, 8, 8, 9]);
    expect(points[100]).toBe(9);
  });

  it('once full, nothing more is due', () => {
    const curve = new FaultCurve(100);
    curve.sample(100, 4); // 100 events: every point (due at 1, 2, ..., 100)
    expect(curve.points).toHaveLength(101);
    expect(curve.due).toBe(Infinity);
    expect(curve.finish(5)[100]).toBe(4);
  });
});
