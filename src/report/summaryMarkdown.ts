/**
 * summary.md: a short Markdown table for a CI comment. Per trace (and base
 * scenario), the faults with and without pre-population and the saving,
 * then huge-page coverage, TLB misses and flush cost; failed cells listed
 * with their error. Pure: the run in, text out (locale-independent numbers).
 */
import { groupedNumber, signedPercent } from './formatNumbers.js';
import type { CellResult } from '../replay/results.js';
import type { RunModel } from './runJson.js';
import { SUMMARY_METRICS, summaryTable, type SummaryRow, type SummaryTable } from './summaryTable.js';
import { verdict, type VerdictPart } from './verdict.js';

/** A count, or `n/a` when the cell or counter is missing. */
export function countText(value: number | undefined): string {
  return value === undefined ? 'n/a' : groupedNumber(value);
}

/** A share in % with one decimal, or `n/a`. */
export function shareText(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${value.toFixed(1)}%`;
}

/** A saving (change in faults) in %, or `n/a` (no `none` cell, or from 0 faults). */
export function savingPctText(value: number | undefined): string {
  return value === undefined ? 'n/a' : signedPercent(value);
}

/** ns as ms with three significant decimals below 1 ms (`0.004`), one above (`74.3`), or `n/a`. */
export function msText(ns: number | undefined): string {
  if (ns === undefined) return 'n/a';
  const ms = ns / 1e6;
  return ms !== 0 && Math.abs(ms) < 0.1 ? ms.toFixed(3) : groupedNumber(ms, 1);
}

/** One value per prefault value as `a → b`, or one value when they are all the same text. */
export function perPrefaultText(texts: readonly string[]): string {
  return texts.every((t) => t === texts[0]) ? texts[0] : texts.join(' → ');
}

/** A column of the summary table: header, alignment, and the text of a row's cell. */
export interface SummaryColumn {
  header: string;
  numeric: boolean;
  text: (row: SummaryRow) => string;
}

/** The summary table's columns (shared by summary.md and index.html). */
export function summaryColumns(table: SummaryTable): SummaryColumn[] {
  const withValues = table.prefaults.filter((p) => p !== 'none');
  const hasNone = table.prefaults.includes('none');
  return [
    { header: 'Trace', numeric: false, text: (row) => row.trace },
    ...(table.manyScenarios ? [{ header: 'Scenario', numeric: false, text: (row: SummaryRow) => row.scenario }] : []),
    ...table.prefaults.map((p, i) => ({ header: `Faults prefault=${p}`, numeric: true, text: (row: SummaryRow) => countText(row.faults[i]) })),
    ...(hasNone ? withValues : []).map((p) => ({
      header: `${p} vs none`,
      numeric: true,
      text: (row: SummaryRow) => savingPctText(row.savingPct[table.prefaults.indexOf(p)]),
    })),
    { header: 'Huge pages', numeric: true, text: (row) => perPrefaultText(row.hugePct.map(shareText)) },
    ...SUMMARY_METRICS.map((m) => ({ header: m.header, numeric: true, text: (row: SummaryRow) => perPrefaultText(row.metrics[m.name].map(countText)) })),
    ...(table.rows.some((r) => r.estNs.some((v) => v !== undefined))
      ? [{ header: 'Est. stage-2 ms', numeric: true, text: (row: SummaryRow) => perPrefaultText(row.estNs.map(msText)) }]
      : []),
    ...(table.hasAt ? [{ header: 'AT slow', numeric: true, text: atSlowText }] : []),
  ];
}

/** `at_slow / at_ops` of each cell of a row, e.g. `8 / 2,459`. */
function atSlowText(row: SummaryRow): string {
  return perPrefaultText(row.atSlow.map((slow, i) => (slow === undefined ? 'n/a' : `${countText(slow)} / ${countText(row.atOps[i])}`)));
}

/** What the summary table's columns mean (plain text, shared by summary.md and index.html). */
export function summaryNote(table: SummaryTable): string {
  const withValues = table.prefaults.filter((p) => p !== 'none');
  const parts: string[] = [];
  if (table.prefaults.includes('none') && withValues.length > 0) {
    parts.push(
      `${withValues.map((p) => `"${p} vs none"`).join(', ')}: change in guest faults with pre-population against prefault=none (-100% = every fault saved).`,
    );
  }
  parts.push('Huge pages: share of mapped memory in 2M/1G leaves at the end of replay.');
  if (table.rows.some((r) => r.estNs.some((v) => v !== undefined))) parts.push('Est. stage-2 ms: est_stage2_ns, the counters priced by the cost profile.');
  if (table.hasAt) parts.push("AT slow: ATs replayed by KVM's software walker (handle_at_slow), of all ATs.");
  if (table.prefaults.length > 1) parts.push(`Where a cell shows "a → b", the values are for ${table.prefaults.map((p) => `prefault=${p}`).join(' → ')}.`);
  return parts.join(' ');
}

/** `trace / scenario` of an outcome. */
function cellName(trace: string, scenario: string): string {
  return `${trace} / ${scenario}`;
}

/** Escape what would break a Markdown table cell, or be taken for an HTML tag, in a name or message. */
function md(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, ' ');
}

/** The one-line run description shared by summary.md and index.html. */
export function runLine(run: RunModel): string {
  const ok = run.outcomes.filter((o) => o.ok).length;
  const failed = run.outcomes.length - ok;
  const cells = `${run.outcomes.length} cells (${ok} ok${failed > 0 ? `, ${failed} failed` : ''})`;
  return `${cells}, ${run.info.traces.length} traces × ${run.info.scenarios.length} scenarios · mmubench ${run.info.version} · started ${run.info.startedAt} · ${(run.info.durationMs / 1000).toFixed(1)} s${run.info.partial ? ' · partial (stopped by Ctrl-C)' : ''}`;
}

/** Where the estimates' prices come from, in one sentence. */
export function costsNote(run: RunModel): string {
  const costs = run.info.costs;
  if (costs === undefined) return 'Times are not estimated: this run has no cost profile.';
  return `Times (ms) are estimates: the counters priced by the ${costs.source === 'built-in' ? 'built-in cost profile' : `cost profile ${costs.source}`}${costs.host ? ` (${costs.host})` : ''}.`;
}

/** A verdict line's parts as Markdown (scenario names as code). */
function verdictPartsMd(parts: readonly VerdictPart[]): string {
  return parts.map((p) => ('scenario' in p ? `\`${p.scenario.replace(/`/g, "'")}\`` : md(p.text))).join('');
}

export function summaryMarkdown(run: RunModel): string {
  const results: CellResult[] = run.outcomes.flatMap((o) => (o.ok ? [o.result] : []));
  const table = summaryTable(results);
  const lines = ['# mmubench report', '', runLine(run), ''];
  if (results.length > 0) {
    lines.push('## Verdict', '');
    for (const trace of verdict(results)) {
      lines.push(`### ${md(trace.trace)}`, '');
      for (const line of trace.lines) lines.push(`- **${line.question}**: ${verdictPartsMd(line.parts)}`);
      lines.push('');
    }
    lines.push(md(costsNote(run)), '', '## Summary', '');
  }
  if (table.rows.length > 0) {
    const columns = summaryColumns(table);
    lines.push(`| ${columns.map((c) => c.header).join(' | ')} |`, `|${columns.map((c) => (c.numeric ? '--:|' : '---|')).join('')}`);
    for (const row of table.rows) lines.push(`| ${columns.map((c) => md(c.text(row))).join(' | ')} |`);
    lines.push('', summaryNote(table), '');
  } else {
    lines.push('No cell produced a result.', '');
  }
  const failed = run.outcomes.flatMap((o) => (o.ok ? [] : [o]));
  if (failed.length > 0) {
    lines.push(`## Failed cells (${failed.length})`, '');
    for (const f of failed) lines.push(`- ${md(cellName(f.trace, f.scenario.name))}: **${f.error.kind}**: ${md(f.error.message)}`);
    lines.push('');
  }
  return lines.join('\n');
}
