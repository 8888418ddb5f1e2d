/**
 * The two-sided Mann-Whitney U test (Wilcoxon rank-sum), as Google
 * Benchmark's tools/gbench/report.py runs it through
 * `scipy.stats.mannwhitneyu(a, b, alternative='two-sided')` with scipy's
 * default `method='auto'`: the exact distribution of U when a sample has at
 * most 8 values and there are no ties, else the normal approximation with
 * tie and continuity corrections. Pure.
 */
import { normalSf } from './normalDistribution.js';

/** The test's statistics and its p-value. */
export interface MannWhitneyResult {
  /** U of the first sample: pairs (x, y) with x > y, ties counting 1/2. */
  u1: number;
  /** U of the second sample; u1 + u2 = n1 * n2. */
  u2: number;
  /** The standardised statistic, after the continuity correction (0 when every value is equal). */
  z: number;
  /** Two-sided p-value, in [0, 1]. */
  pValue: number;
  /** How the p-value was found. */
  method: 'exact' | 'asymptotic';
}

/** `auto` chooses as scipy does: exact when a sample has at most 8 values and no value is tied. */
export type MannWhitneyMethod = 'auto' | 'exact' | 'asymptotic';

/** Largest smaller-sample size for which `auto` uses the exact distribution (scipy's rule). */
export const EXACT_MAX_SAMPLES = 8;

/**
 * P(U >= u) under the null hypothesis, for samples of sizes m and n, from
 * the exact distribution: the number of arrangements with U = k is the
 * coefficient of q^k in the Gaussian binomial [m + n choose m]_q =
 * prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i), built factor by factor (after
 * factor i the coefficients are those of [n + i choose i]_q, all >= 0).
 */
export function exactUpperTail(u: number, m: number, n: number): number {
  const small = Math.min(m, n);
  const large = Math.max(m, n);
  const degree = small * large;
  const counts = new Float64Array(degree + 1);
  counts[0] = 1;
  for (let i = 1; i <= small; i++) {
    for (let k = degree; k >= large + i; k--) counts[k] -= counts[k - (large + i)]; // * (1 - q^(large+i))
    for (let k = i; k <= degree; k++) counts[k] += counts[k - i]; // / (1 - q^i)
  }
  let total = 0;
  let tail = 0;
  for (let k = 0; k <= degree; k++) {
    total += counts[k];
    if (k >= u) tail += counts[k];
  }
  return tail / total;
}

/**
 * Test whether `x` and `y` come from the same distribution.
 *
 * 1. Rank the pooled values from 1, tied values sharing their mean rank.
 * 2. U1 = R1 - n1(n1 + 1)/2 with R1 the rank sum of `x`; U2 = n1 n2 - U1.
 * 3. Under the null hypothesis U has mean mu = n1 n2 / 2 and, with ties,
 *    variance n1 n2 / 12 * ((n + 1) - sum(t^3 - t) / (n (n - 1))), where t
 *    runs over the sizes of the groups of tied values and n = n1 + n2.
 * 4. Exact: p = 2 P(U >= max(U1, U2)), capped at 1 (scipy's exact method).
 *    Asymptotic: z = (max(U1, U2) - mu - 1/2) / sigma (the 1/2 is the
 *    continuity correction) and p = 2 P(Z > z), capped at 1 (scipy >= 1.7;
 *    older scipy took |z|, which differs only when U1 = U2).
 * @throws Error when either sample is empty or holds a non-finite value.
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], method: MannWhitneyMethod = 'auto'): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new Error('mannWhitneyU: both samples need at least one value');
  if (![...x, ...y].every(Number.isFinite)) throw new Error('mannWhitneyU: samples must be finite numbers');
  // 1. Pooled values, sorted, with their sample of origin.
  const pooled = [...x.map((value) => ({ value, first: true })), ...y.map((value) => ({ value, first: false }))].sort((a, b) => a.value - b.value);
  const n = n1 + n2;
  let rankSumX = 0;
  let tieTerm = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && pooled[end].value === pooled[start].value) end++;
    const t = end - start;
    const meanRank = (start + 1 + end) / 2; // ranks start+1 .. end
    for (let i = start; i < end; i++) if (pooled[i].first) rankSumX += meanRank;
    tieTerm += t * t * t - t;
    start = end;
  }
  // 2. The two U statistics.
  const u1 = rankSumX - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  // 3. Null mean and tie-corrected standard deviation.
  const mu = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - (n > 1 ? tieTerm / (n * (n - 1)) : 0));
  const z = variance > 0 ? (Math.max(u1, u2) - mu - 0.5) / Math.sqrt(variance) : 0;
  // 4. The p-value, exactly or by the normal approximation.
  const exact = method === 'exact' || (method === 'auto' && Math.min(n1, n2) <= EXACT_MAX_SAMPLES && tieTerm === 0);
  if (exact) return { u1, u2, z, pValue: Math.min(1, 2 * exactUpperTail(Math.max(u1, u2), n1, n2)), method: 'exact' };
  if (!(variance > 0)) return { u1, u2, z: 0, pValue: 1, method: 'asymptotic' };
  return { u1, u2, z, pValue: Math.min(1, 2 * normalSf(z)), method: 'asymptotic' };
}
