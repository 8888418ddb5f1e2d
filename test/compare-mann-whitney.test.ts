import { describe, expect, it } from 'vitest';
import { exactUpperTail, mannWhitneyU } from '../src/report/compare/mannWhitneyU.js';
import { erfc, normalSf } from '../src/report/compare/normalDistribution.js';

// Expected values from scipy 1.17.1:
// scipy.stats.mannwhitneyu(x, y, alternative='two-sided', method='asymptotic', use_continuity=True)
describe('mannWhitneyU, normal approximation', () => {
  it('fully separated samples of 5: U1 = 0, p = 0.012185780355344813 (by hand: z = 12/sqrt(22.9167) = 2.5067)', () => {
    const r = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 'asymptotic');
    expect(r.u1).toBe(0);
    expect(r.u2).toBe(25);
    expect(r.z).toBeCloseTo(12 / Math.sqrt((25 * 11) / 12), 12);
    expect(r.pValue).toBeCloseTo(0.012185780355344813, 12);
  });

  it('overlapping samples of 5 and 4: U1 = 17, p = 0.11134688653314041', () => {
    const r = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12], 'asymptotic');
    expect(r.u1).toBe(17);
    expect(r.pValue).toBeCloseTo(0.11134688653314041, 12);
  });

  it('ties use the tie-corrected variance: U1 = 8.5, p = 0.025144761173357368', () => {
    const r = mannWhitneyU([1, 2, 2, 3, 3, 3, 4], [2, 3, 4, 4, 5, 5, 6, 6]);
    expect(r.u1).toBe(8.5);
    expect(r.pValue).toBeCloseTo(0.025144761173357368, 12);
  });

  it('two timing-like samples of 10, fully separated: p = 0.00018267179110955002', () => {
    const base = [10.0, 10.5, 11.0, 10.2, 10.8, 10.1, 10.9, 10.3, 10.6, 10.4];
    const slower = [11.5, 11.8, 12.0, 11.1, 11.3, 11.9, 11.6, 11.2, 11.7, 11.4];
    expect(mannWhitneyU(base, slower).pValue).toBeCloseTo(0.00018267179110955002, 14);
  });

  it('identical samples give p = 1 (U1 = U2 = 8)', () => {
    const r = mannWhitneyU([1.1, 2.2, 3.3, 4.4], [1.1, 2.2, 3.3, 4.4]);
    expect(r.u1).toBe(8);
    expect(r.pValue).toBe(1);
  });

  it('all values equal: zero variance, z = 0, p = 1 (scipy: U1 = 3, p = 1)', () => {
    expect(mannWhitneyU([5, 5, 5], [5, 5])).toEqual({ u1: 3, u2: 3, z: 0, pValue: 1, method: 'asymptotic' });
  });

  it('rejects an empty sample and non-finite values', () => {
    expect(() => mannWhitneyU([], [1])).toThrow('both samples need at least one value');
    expect(() => mannWhitneyU([1, NaN], [1])).toThrow('finite');
  });
});

// scipy.stats.mannwhitneyu(x, y) with its default method='auto', as gbench calls it:
// exact when a sample has at most 8 values and nothing is tied.
describe('mannWhitneyU, scipy auto (exact for small samples without ties)', () => {
  it('5 against 5, fully separated: exact p = 2/252 = 0.007936507936507936', () => {
    const r = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(r.method).toBe('exact');
    expect(r.pValue).toBeCloseTo(2 / 252, 15);
  });

  it('3 against 3, fully separated: exact p = 2/20 = 0.1', () => {
    expect(mannWhitneyU([10, 10.1, 10.2], [20, 20.1, 20.2]).pValue).toBeCloseTo(0.1, 15);
  });

  it('5 against 4, U1 = 17: exact p = 0.1111111111111111', () => {
    expect(mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]).pValue).toBeCloseTo(0.1111111111111111, 14);
  });

  it('3 against 12 (one small sample suffices), U1 = 9: exact p = 0.232967032967033', () => {
    expect(mannWhitneyU([1, 5, 9], [2, 3, 4, 6, 7, 8, 10, 11, 12, 13, 14, 15]).pValue).toBeCloseTo(0.232967032967033, 14);
  });

  it('8 against 10, U1 = 29: exact p = 0.35993418346359524', () => {
    const r = mannWhitneyU([3.1, 1.2, 5.5, 4.4, 2.2, 6.6, 7.7, 8.8], [9.9, 1.1, 2.3, 3.3, 4.5, 5.6, 6.7, 7.8, 8.9, 10.1]);
    expect(r).toMatchObject({ u1: 29, method: 'exact' });
    expect(r.pValue).toBeCloseTo(0.35993418346359524, 14);
  });

  it('a tie makes it asymptotic: [1, 2, 2] against [3, 4], p = 0.1386406338132186', () => {
    const r = mannWhitneyU([1, 2, 2], [3, 4]);
    expect(r.method).toBe('asymptotic');
    expect(r.pValue).toBeCloseTo(0.1386406338132186, 14);
  });

  it('the exact tail by hand: 2 against 2, U takes 0,1,2,2,3,4 over the 6 arrangements', () => {
    expect(exactUpperTail(4, 2, 2)).toBeCloseTo(1 / 6, 15);
    expect(exactUpperTail(2, 2, 2)).toBeCloseTo(4 / 6, 15);
    expect(exactUpperTail(0, 2, 2)).toBe(1);
  });
});

describe('normal distribution', () => {
  it('erfc and the survival function match tabulated values', () => {
    expect(erfc(0)).toBe(1);
    expect(erfc(1)).toBeCloseTo(0.157299207050285, 14); // scipy.special.erfc(1)
    expect(erfc(4)).toBeCloseTo(1.541725790028002e-8, 20); // continued-fraction branch
    expect(erfc(-1)).toBeCloseTo(1.842700792949715, 14);
    expect(normalSf(1.959963984540054)).toBeCloseTo(0.025, 14); // the 97.5% quantile
  });
});
