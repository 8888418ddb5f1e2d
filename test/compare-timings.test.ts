import { describe, expect, it } from 'vitest';
import { compareRuns, compareTiming } from '../src/report/compare/compareRuns.js';
import { parseCompareOptions } from '../src/report/compare/compareOptions.js';
import { Prng } from '../src/trace/prng.js';
import type { BenchmarkSamples } from '../src/replay/results.js';
import { runOf } from './helpers/runModels.js';

const defaults = parseCompareOptions({});

/**
 * `count` iteration times around `medianMs`: 5% Gaussian jitter (Box-Muller)
 * plus, one time in ten, a preemption adding 10-50%, as on a shared machine.
 */
function timings(prng: Prng, count: number, medianMs: number): number[] {
  return Array.from({ length: count }, () => {
    const gauss = Math.sqrt(-2 * Math.log(1 - prng.nextFloat())) * Math.cos(2 * Math.PI * prng.nextFloat());
    const spike = prng.nextFloat() < 0.1 ? 0.1 + 0.4 * prng.nextFloat() : 0;
    return medianMs * (1 + 0.05 * gauss + spike);
  });
}

const task = (samplesMs: number[]): BenchmarkSamples => ({ name: 'replay', accessesPerIteration: 20_000, samplesMs });

describe('compare: timings', () => {
  it('does not flag two sample sets drawn from the same distribution (40 seeded pairs of 30)', () => {
    const verdicts = Array.from({ length: 40 }, (_, seed) => {
      const prng = new Prng(1000 + seed);
      return compareTiming('replay', task(timings(prng, 30, 10)), task(timings(prng, 30, 10)), defaults).verdict;
    });
    expect(verdicts.filter((v) => v === 'regression' || v === 'improvement')).toEqual([]);
    expect(verdicts.every((v) => v === 'noise')).toBe(true);
  });

  it('flags a 20% slower engine as a timing regression and exits 1', () => {
    const prng = new Prng(7);
    const base = runOf([], [task(timings(prng, 30, 10))]);
    const current = runOf([], [task(timings(prng, 30, 12))]);
    const c = compareRuns(base, current, defaults, { base: 'a', current: 'b' });
    expect(c.timings).toHaveLength(1);
    const [row] = c.timings;
    expect(row.verdict).toBe('regression');
    expect(row.pValue).toBeLessThan(1e-6);
    expect(row.deltaPct).toBeGreaterThan(15);
    expect(row.deltaPct).toBeLessThan(25);
    expect(c.exitCode).toBe(1);
  });

  it('a 20% faster engine is an improvement, exit 0', () => {
    const prng = new Prng(8);
    const c = compareRuns(runOf([], [task(timings(prng, 30, 10))]), runOf([], [task(timings(prng, 30, 8))]), defaults, { base: 'a', current: 'b' });
    expect(c.timings[0].verdict).toBe('improvement');
    expect(c.exitCode).toBe(0);
  });

  it('a significant but small (2%) change stays below --min-change: no significant change', () => {
    const base = Array.from({ length: 200 }, (_, i) => 10 + i * 0.001);
    const slower = base.map((ms) => ms * 1.02);
    const row = compareTiming('replay', task(base), task(slower), defaults);
    expect(row.pValue).toBeLessThan(defaults.alpha);
    expect(row.deltaPct).toBeCloseTo(2, 6);
    expect(row.verdict).toBe('noise');
    // ... and is a regression once the minimum effect is lowered below it.
    expect(compareTiming('replay', task(base), task(slower), parseCompareOptions({ minChange: '1' })).verdict).toBe('regression');
  });

  it('a large change on too few samples is not significant (3 against 3: exact p = 0.1)', () => {
    const row = compareTiming('replay', task([10, 10.1, 10.2]), task([20, 20.1, 20.2]), defaults);
    expect(row.pValue).toBeCloseTo(0.1, 12); // scipy: 2/20, the exact distribution
    expect(row.verdict).toBe('noise');
  });

  it('--fail-on counts: a timing regression is reported but exits 0', () => {
    const prng = new Prng(7);
    const c = compareRuns(runOf([], [task(timings(prng, 30, 10))]), runOf([], [task(timings(prng, 30, 12))]), parseCompareOptions({ failOn: 'counts' }), {
      base: 'a',
      current: 'b',
    });
    expect(c.summary.timingRegressions).toBe(1);
    expect(c.exitCode).toBe(0);
  });

  it('a task on one side only is reported as such', () => {
    const c = compareRuns(runOf([], [task([1, 2])]), runOf([], []), defaults, { base: 'a', current: 'b' });
    expect(c.timings).toEqual([{ name: 'replay', base: { samples: 2, medianMs: 1.5 }, verdict: 'only-base' }]);
    expect(c.exitCode).toBe(0);
  });
});
