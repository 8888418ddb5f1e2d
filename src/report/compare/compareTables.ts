/**
 * The comparison as tables of text: the one place that decides columns,
 * labels and number formats, so compare.md and compare.html (which only
 * mark the tables up) always say the same thing. Pure.
 */
import { groupedNumber, signedNumber, signedPercent } from '../formatNumbers.js';
import type { CellRow, Comparison, CountRow, TimingRow, Verdict } from './compareRuns.js';

/** A table: header cells, and rows each with its verdict (for colouring). */
export interface TextTable {
  header: string[];
  rows: { cells: string[]; verdict: Verdict }[];
}

/** How a verdict is printed; regressions shout so a skimming reader sees them. */
export const VERDICT_LABELS: Record<Verdict, string> = {
  regression: 'REGRESSION',
  improvement: 'improvement',
  changed: 'changed',
  unchanged: '',
  noise: 'no significant change',
  'only-base': 'base only',
  'only-current': 'current only',
};

const value = (v: number | undefined): string => (v === undefined ? '—' : groupedNumber(v));
const better = { lower: 'lower', higher: 'higher', neutral: '—' } as const;

/** Counter rows; `withCell` adds the trace and scenario columns. */
export function countTable(rows: readonly CountRow[], withCell: boolean): TextTable {
  return {
    header: [...(withCell ? ['trace', 'scenario'] : []), 'metric', 'better', 'base', 'current', 'change', 'change %', 'verdict'],
    rows: rows.map((r) => ({
      cells: [
        ...(withCell ? [r.trace, r.scenario] : []),
        r.metric,
        better[r.direction],
        value(r.base),
        value(r.current),
        r.delta === undefined ? '—' : signedNumber(r.delta),
        r.delta === undefined ? '—' : signedPercent(r.deltaPct),
        VERDICT_LABELS[r.verdict],
      ],
      verdict: r.verdict,
    })),
  };
}

/** `1.234`, milliseconds with three decimals. */
const ms = (v: number | undefined): string => (v === undefined ? '—' : v.toFixed(3));

/** A p-value: four decimals, or two significant digits below 0.0001. */
export function formatPValue(p: number | undefined): string {
  if (p === undefined) return '—';
  return p >= 1e-4 ? p.toFixed(4) : p.toExponential(1);
}

/** Benchmark task rows. */
export function timingTable(rows: readonly TimingRow[]): TextTable {
  return {
    header: ['task', 'base median (ms)', 'current median (ms)', 'change %', 'p-value', 'samples (base/current)', 'verdict'],
    rows: rows.map((r) => ({
      cells: [
        r.name,
        ms(r.base?.medianMs),
        ms(r.current?.medianMs),
        r.deltaPct === undefined ? '—' : signedPercent(r.deltaPct),
        formatPValue(r.pValue),
        `${r.base?.samples ?? 0}/${r.current?.samples ?? 0}`,
        VERDICT_LABELS[r.verdict],
      ],
      verdict: r.verdict,
    })),
  };
}

/** Cells absent or failed on a side. */
export function cellTable(rows: readonly CellRow[]): TextTable {
  return {
    header: ['trace', 'scenario', 'base', 'current', 'note', 'verdict'],
    rows: rows.map((r) => ({ cells: [r.trace, r.scenario, r.base, r.current, r.note || '—', VERDICT_LABELS[r.verdict]], verdict: r.verdict })),
  };
}

/** The counts of each kind, as a small table. */
export function summaryTable(c: Comparison): TextTable {
  const s = c.summary;
  return {
    header: ['', 'regressions', 'improvements', 'other changes', 'fails the run'],
    rows: [
      {
        cells: ['counts', String(s.countRegressions), String(s.countImprovements), String(s.countChanges), c.options.failOn.counts ? 'yes' : 'no'],
        verdict: s.countRegressions > 0 ? 'regression' : 'unchanged',
      },
      {
        cells: ['timings', String(s.timingRegressions), String(s.timingImprovements), '—', c.options.failOn.timings ? 'yes' : 'no'],
        verdict: s.timingRegressions > 0 ? 'regression' : 'unchanged',
      },
    ],
  };
}

/** `1 regression`, `2 regressions`. */
const plural = (count: number, noun: string, nouns = `${noun}s`): string => `${count} ${count === 1 ? noun : nouns}`;

/** One sentence: the outcome and the exit code. */
export function headline(c: Comparison): string {
  const s = c.summary;
  const regressions = s.countRegressions + s.timingRegressions;
  const verdict = regressions === 0 ? 'No regression' : plural(regressions, 'regression');
  return `${verdict} (exit ${c.exitCode}); ${plural(s.countImprovements + s.timingImprovements, 'improvement')}, ${plural(s.countChanges, 'other count change')}, ${plural(s.oneSided, 'item')} on one side only.`;
}

/** The thresholds used, in words. */
export function thresholds(c: Comparison): string {
  const o = c.options;
  const failOn = o.failOn.counts && o.failOn.timings ? 'counts, timings' : o.failOn.counts ? 'counts' : o.failOn.timings ? 'timings' : 'none';
  return `Counts: a change beyond ${o.countThresholdPct}% is a regression or improvement by the metric's direction. Timings: two-sided Mann-Whitney U test on the iteration times, alpha ${o.alpha}, and a median change of at least ${o.minChangePct}%. Fail on: ${failOn}.`;
}

/**
 * The counts and cells with verdict `verdict` as one table (with the cell
 * columns), and the benchmark tasks with it as another; empty tables when
 * there are none.
 */
export function flaggedTables(c: Comparison, verdict: 'regression' | 'improvement'): { counts: TextTable; timings: TextTable } {
  const counts = countTable(
    c.counts.filter((r) => r.verdict === verdict),
    true,
  );
  const cells = c.cells
    .filter((r) => r.verdict === verdict)
    .map((r) => ({
      cells: [
        r.trace,
        r.scenario,
        r.current === 'failed' ? 'cell now fails' : 'cell fails no more',
        '—',
        r.base,
        r.current,
        '—',
        '—',
        VERDICT_LABELS[r.verdict],
      ],
      verdict: r.verdict,
    }));
  return { counts: { header: counts.header, rows: [...counts.rows, ...cells] }, timings: timingTable(c.timings.filter((r) => r.verdict === verdict)) };
}

/** One line per regression, for the terminal. */
export function regressionLines(c: Comparison): string[] {
  const lines: string[] = [];
  for (const r of c.counts.filter((row) => row.verdict === 'regression')) {
    lines.push(
      `REGRESSION count ${r.trace} / ${r.scenario}: ${r.metric} ${value(r.base)} -> ${value(r.current)} (${signedNumber(r.delta ?? 0)}, ${signedPercent(r.deltaPct)})`,
    );
  }
  for (const r of c.cells.filter((row) => row.verdict === 'regression')) lines.push(`REGRESSION cell ${r.trace} / ${r.scenario}: now fails (${r.note})`);
  for (const r of c.timings.filter((row) => row.verdict === 'regression')) {
    lines.push(
      `REGRESSION timing ${r.name}: median ${ms(r.base?.medianMs)} ms -> ${ms(r.current?.medianMs)} ms (${signedPercent(r.deltaPct)}, p ${formatPValue(r.pValue)})`,
    );
  }
  return lines;
}

/** Counter rows grouped by cell, in comparison order. */
export function countsByCell(c: Comparison): { trace: string; scenario: string; rows: CountRow[] }[] {
  const groups: { trace: string; scenario: string; rows: CountRow[] }[] = [];
  for (const row of c.counts) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last.trace === row.trace && last.scenario === row.scenario) last.rows.push(row);
    else groups.push({ trace: row.trace, scenario: row.scenario, rows: [row] });
  }
  return groups;
}
