import { describe, expect, it } from 'vitest';
import { compareRuns, type CountRow } from '../src/report/compare/compareRuns.js';
import { parseCompareOptions } from '../src/report/compare/compareOptions.js';
import { runOf, tinyCell, withTotals } from './helpers/runModels.js';
import { DEFAULT_COSTS } from '../src/replay/costProfile.js';

const labels = { base: 'base', current: 'current' };
const defaults = parseCompareOptions({});
const row = (rows: CountRow[], metric: string): CountRow | undefined => rows.find((r) => r.metric === metric);

describe('compare: counts', () => {
  it('identical runs: every counter unchanged, exit 0', async () => {
    const cell = await tinyCell('4k');
    const c = compareRuns(runOf([cell]), runOf([cell]), defaults, labels);
    expect(c.counts.length).toBeGreaterThan(20);
    expect(c.counts.every((r) => r.verdict === 'unchanged')).toBe(true);
    expect(c.exitCode).toBe(0);
  });

  it('one more fault is a labelled regression and exits 1', async () => {
    const cell = await tinyCell('4k');
    expect(cell.total.faults).toBe(3);
    const c = compareRuns(runOf([cell]), runOf([withTotals(cell, { faults: 4 })]), defaults, labels);
    expect(row(c.counts, 'faults')).toEqual({
      trace: 'tiny',
      scenario: cell.scenario.name,
      metric: 'faults',
      direction: 'lower',
      base: 3,
      current: 4,
      delta: 1,
      deltaPct: (1 / 3) * 100,
      verdict: 'regression',
    });
    expect(c.summary.countRegressions).toBe(1);
    expect(c.exitCode).toBe(1);
  });

  it('one fault less is an improvement and exits 0', async () => {
    const cell = await tinyCell('4k');
    const c = compareRuns(runOf([cell]), runOf([withTotals(cell, { faults: 2 })]), defaults, labels);
    expect(row(c.counts, 'faults')?.verdict).toBe('improvement');
    expect(c.summary).toMatchObject({ countRegressions: 0, countImprovements: 1 });
    expect(c.exitCode).toBe(0);
  });

  it('fewer TLB hits (higher is better) is a regression', async () => {
    const cell = await tinyCell('4k');
    const c = compareRuns(runOf([withTotals(cell, { tlb_hits: 10 })]), runOf([withTotals(cell, { tlb_hits: 9 })]), defaults, labels);
    expect(row(c.counts, 'tlb_hits')?.verdict).toBe('regression');
  });

  it('a change within --count-threshold is reported as changed, not a regression', async () => {
    const cell = await tinyCell('4k');
    const options = parseCompareOptions({ countThreshold: '50' });
    const c = compareRuns(runOf([cell]), runOf([withTotals(cell, { faults: 4 })]), options, labels);
    expect(row(c.counts, 'faults')?.verdict).toBe('changed'); // +33.3% <= 50%
    expect(c.summary.countChanges).toBe(1);
    expect(c.exitCode).toBe(0);
  });

  it('a neutral counter (accesses) that changes is reported but never fails', async () => {
    const cell = await tinyCell('4k');
    const c = compareRuns(runOf([cell]), runOf([withTotals(cell, { accesses: 30 })]), defaults, labels);
    expect(row(c.counts, 'accesses')).toMatchObject({ base: 3, current: 30, direction: 'neutral', verdict: 'changed' });
    expect(c.exitCode).toBe(0);
  });

  it('from 0 to 1 flushes is beyond any threshold (relative change undefined)', async () => {
    const cell = await tinyCell('4k');
    const options = parseCompareOptions({ countThreshold: '1000' });
    const c = compareRuns(runOf([cell]), runOf([withTotals(cell, { tlb_flushes: 1 })]), options, labels);
    expect(row(c.counts, 'tlb_flushes')).toMatchObject({ base: 0, current: 1, deltaPct: undefined, verdict: 'regression' });
  });

  it('--fail-on timings or none: a count regression is reported but exits 0', async () => {
    const cell = await tinyCell('4k');
    for (const failOn of ['timings', 'none']) {
      const c = compareRuns(runOf([cell]), runOf([withTotals(cell, { faults: 4 })]), parseCompareOptions({ failOn }), labels);
      expect(c.summary.countRegressions, failOn).toBe(1);
      expect(c.exitCode, failOn).toBe(0);
    }
  });

  it('cells on one side only are reported as such and fail nothing', async () => {
    const small = await tinyCell('4k');
    const huge = await tinyCell('2m');
    const c = compareRuns(runOf([small]), runOf([huge]), defaults, labels);
    expect(c.counts).toEqual([]);
    expect(c.cells.map((r) => [r.scenario, r.base, r.current, r.verdict])).toEqual([
      [huge.scenario.name, 'absent', 'ok', 'only-current'],
      [small.scenario.name, 'ok', 'absent', 'only-base'],
    ]);
    expect(c.summary.oneSided).toBe(2);
    expect(c.exitCode).toBe(0);
  });

  it('a cell that now fails is a count regression carrying its error', async () => {
    const cell = await tinyCell('4k');
    const failed = { ok: false as const, trace: 'tiny', scenario: cell.scenario, error: { kind: 'crash' as const, message: 'worker died' } };
    const c = compareRuns(runOf([cell]), runOf([failed]), defaults, labels);
    expect(c.cells).toEqual([
      { trace: 'tiny', scenario: cell.scenario.name, base: 'ok', current: 'failed', note: 'current: worker died', verdict: 'regression' },
    ]);
    expect(c.exitCode).toBe(1);
  });
});

describe('compare options', () => {
  it('defaults: 0% counts, alpha 0.01, 5% minimum change, fail on counts and timings', () => {
    expect(parseCompareOptions({})).toEqual({ countThresholdPct: 0, alpha: 0.01, minChangePct: 5, failOn: { counts: true, timings: true } });
  });

  it('one message per bad option', () => {
    expect(() => parseCompareOptions({ alpha: '1' })).toThrow('--alpha: "1" is not a number between 0 and 1 (exclusive)');
    expect(() => parseCompareOptions({ minChange: '-3' })).toThrow('--min-change: "-3" is not a percentage >= 0 (e.g. 5 or 5%)');
    expect(() => parseCompareOptions({ countThreshold: 'x' })).toThrow('--count-threshold: "x" is not a percentage >= 0');
    expect(() => parseCompareOptions({ failOn: 'counts,none' })).toThrow('--fail-on: "counts,none" is not counts, timings, counts,timings or none');
  });
});

describe('compare: estimated time (est_*_ns)', () => {
  const estimated = (cell: Awaited<ReturnType<typeof tinyCell>>, ns: number) => ({ ...cell, estimates: { ...ZERO_EST, est_stage2_ns: ns, est_fault_ns: ns } });
  const ZERO_EST = { est_stage2_ns: 0, est_fault_ns: 0, est_prefault_ns: 0, est_walk_ns: 0, est_flush_ns: 0, est_hypercall_ns: 0, est_split_ns: 0 };
  const priced = (run: ReturnType<typeof runOf>, walkRef: number) => ({
    ...run,
    info: { ...run.info, costs: { source: 'built-in', profile: { ...DEFAULT_COSTS.profile, walk_ref: walkRef } } },
  });

  it('under the same cost profile, more estimated time is a count regression (lower is better)', async () => {
    const cell = await tinyCell('4k');
    const c = compareRuns(priced(runOf([estimated(cell, 3000)]), 1), priced(runOf([estimated(cell, 4000)]), 1), defaults, labels);
    expect(row(c.counts, 'est_stage2_ns')).toMatchObject({ direction: 'lower', base: 3000, current: 4000, verdict: 'regression' });
    expect(c.exitCode).toBe(1);
  });

  it('under different cost profiles, a moved estimate is only changed: the prices moved, not the counts', async () => {
    const cell = await tinyCell('4k');
    const c = compareRuns(priced(runOf([estimated(cell, 3000)]), 1), priced(runOf([estimated(cell, 4000)]), 2), defaults, labels);
    expect(row(c.counts, 'est_stage2_ns')).toMatchObject({ direction: 'neutral', verdict: 'changed' });
    expect(c.exitCode).toBe(0);
  });
});
