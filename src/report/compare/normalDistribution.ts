/**
 * The standard normal survival function, for the Mann-Whitney normal
 * approximation. Node has no erfc; this one is accurate to about 1e-13
 * (a power series below x = 3, a continued fraction above), far finer
 * than any significance level it is compared with.
 */

const SERIES_LIMIT = 3;
const FRACTION_TERMS = 80;

/** erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)), for |x| < 3. */
function erfSeries(x: number): number {
  let term = x; // (-1)^n x^(2n+1) / n!
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/**
 * erfc(x) for x >= 3 by the continued fraction
 * erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
 * evaluated backwards from a fixed depth.
 */
function erfcFraction(x: number): number {
  let f = x;
  for (let k = FRACTION_TERMS; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** The complementary error function, 1 - erf(x), for any real x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  return x < SERIES_LIMIT ? 1 - erfSeries(x) : erfcFraction(x);
}

/** P(Z > z) for a standard normal Z. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}
