/**
 * Options of `mmubench compare` (and of the comparison `nightly` makes),
 * validated once at the boundary, with their defaults in one place.
 */
import { InputError } from '../../errors.js';
import { DEFAULTS } from '../../defaults.js';

/** What may fail a comparison. */
export type FailOn = { counts: boolean; timings: boolean };

/** Validated options of a comparison. */
export interface CompareOptions {
  /** A count change beyond this many % is a regression or improvement (0: any change). */
  countThresholdPct: number;
  /** Significance level of the Mann-Whitney U test on timings. */
  alpha: number;
  /** Smallest timing change (median, in %) that counts, however significant. */
  minChangePct: number;
  failOn: FailOn;
}

/** Defaults (src/cli/defaults.ts; docs/comparing.md); strings as the command line takes them. */
export const COMPARE_DEFAULTS = {
  countThreshold: DEFAULTS.countThreshold,
  alpha: DEFAULTS.alpha,
  minChange: DEFAULTS.minChange,
  failOn: DEFAULTS.failOn,
} as const;

/** The options as commander hands them over (camelCase of the flags). */
export interface RawCompareOptions {
  countThreshold?: string;
  alpha?: string;
  minChange?: string;
  failOn?: string;
}

/** `5`, `5%`, `0.5`: a percentage >= 0. */
function parsePercent(flag: string, text: string): number {
  const value = Number(text.replace(/%$/, ''));
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new InputError(`${flag}: "${text}" is not a percentage >= 0 (e.g. 5 or 5%)`);
  return value;
}

/** `counts`, `timings`, `counts,timings` or `none`. */
export function parseFailOn(text: string): FailOn {
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 1 && items[0] === 'none') return { counts: false, timings: false };
  for (const item of items) {
    if (item !== 'counts' && item !== 'timings') throw new InputError(`--fail-on: "${text}" is not counts, timings, counts,timings or none`);
  }
  return { counts: items.includes('counts'), timings: items.includes('timings') };
}

/** Validate the raw options; absent ones take `COMPARE_DEFAULTS`. */
export function parseCompareOptions(raw: RawCompareOptions): CompareOptions {
  const alphaText = raw.alpha ?? COMPARE_DEFAULTS.alpha;
  const alpha = Number(alphaText);
  if (alphaText.trim() === '' || !(alpha > 0 && alpha < 1)) throw new InputError(`--alpha: "${alphaText}" is not a number between 0 and 1 (exclusive)`);
  return {
    countThresholdPct: parsePercent('--count-threshold', raw.countThreshold ?? COMPARE_DEFAULTS.countThreshold),
    alpha,
    minChangePct: parsePercent('--min-change', raw.minChange ?? COMPARE_DEFAULTS.minChange),
    failOn: parseFailOn(raw.failOn ?? COMPARE_DEFAULTS.failOn),
  };
}
