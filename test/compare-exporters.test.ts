import { describe, expect, it } from 'vitest';
import { compareRuns, type Comparison } from '../src/report/compare/compareRuns.js';
import { parseCompareOptions } from '../src/report/compare/compareOptions.js';
import { compareMarkdown } from '../src/report/compare/compareMarkdown.js';
import { compareHtml, escapeHtml } from '../src/report/compare/compareHtml.js';
import { runOf, tinyCell, withTotals } from './helpers/runModels.js';

/**
 * A small fixed comparison with one of everything: a count regression
 * (faults 3 -> 4), an improvement (tlb_misses 3 -> 2), a timing regression,
 * a task with no significant change, a cell only in the current run and a
 * cell that now fails.
 */
async function fixedComparison(): Promise<Comparison> {
  const small = await tinyCell('4k');
  const huge = await tinyCell('2m');
  const failing = { ...small, trace: 'other' };
  const base = runOf(
    [small, failing],
    [
      { name: 'replay hit-heavy', accessesPerIteration: 1000, samplesMs: [1.0, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07, 1.08, 1.09] },
      { name: 'replay fault-heavy', accessesPerIteration: 1000, samplesMs: [2.0, 2.1, 2.2, 2.3] },
    ],
  );
  const current = runOf(
    [
      withTotals(small, { faults: 4, tlb_misses: 2 }),
      huge,
      { ok: false, trace: 'other', scenario: small.scenario, error: { kind: 'timeout', message: 'over --timeout 5 s' } },
    ],
    [
      { name: 'replay hit-heavy', accessesPerIteration: 1000, samplesMs: [1.2, 1.21, 1.22, 1.23, 1.24, 1.25, 1.26, 1.27, 1.28, 1.29] },
      { name: 'replay fault-heavy', accessesPerIteration: 1000, samplesMs: [2.05, 2.15, 2.25, 2.35] },
    ],
  );
  return compareRuns(base, current, parseCompareOptions({}), { base: '2026-01-01T00-00-00Z', current: '2026-01-02T00-00-00Z' });
}

describe('compare exporters', () => {
  it('the fixed comparison has what the snapshots show', async () => {
    const c = await fixedComparison();
    expect(c.summary).toEqual({ countRegressions: 2, countImprovements: 1, countChanges: 0, timingRegressions: 1, timingImprovements: 0, oneSided: 1 });
    expect(c.timings.map((t) => t.verdict)).toEqual(['regression', 'noise']);
    expect(c.exitCode).toBe(1);
  });

  it('compare.md', async () => {
    expect(compareMarkdown(await fixedComparison())).toMatchSnapshot();
  });

  it('compare.html', async () => {
    const html = compareHtml(await fixedComparison());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|src=|href=/); // self-contained
    expect(html).toMatchSnapshot();
  });

  it('escapes HTML in names', () => {
    expect(escapeHtml('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
  });
});
