/**
 * compare.md: the comparison for a CI comment or a terminal. Regressions and
 * improvements first, then the benchmarks, then every counter of every cell.
 * Pure: the comparison in, Markdown out.
 */
import type { Comparison } from './compareRuns.js';
import { cellTable, countTable, countsByCell, flaggedTables, headline, summaryTable, thresholds, timingTable, type TextTable } from './compareTables.js';

/** Text safe inside a Markdown table cell. */
const cell = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A GitHub-flavoured Markdown table. */
export function markdownTable(table: TextTable): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(table.header), line(table.header.map(() => '---')), ...table.rows.map((r) => line(r.cells))].join('\n');
}

/** compare.md text. */
export function compareMarkdown(c: Comparison): string {
  const parts: string[] = [`# mmubench compare: ${c.base} → ${c.current}`, '', `**${headline(c)}**`, '', thresholds(c), '', markdownTable(summaryTable(c)), ''];
  for (const [title, verdict] of [
    ['Regressions', 'regression'],
    ['Improvements', 'improvement'],
  ] as const) {
    const { counts, timings } = flaggedTables(c, verdict);
    parts.push(`## ${title}`, '');
    if (counts.rows.length + timings.rows.length === 0) parts.push('None.', '');
    for (const table of [counts, timings]) if (table.rows.length > 0) parts.push(markdownTable(table), '');
  }
  parts.push('## Benchmarks', '', c.timings.length === 0 ? 'No benchmark samples on either side.' : markdownTable(timingTable(c.timings)), '');
  if (c.cells.length > 0) parts.push('## Cells failed or on one side only', '', markdownTable(cellTable(c.cells)), '');
  parts.push('## Every counter', '');
  const groups = countsByCell(c);
  if (groups.length === 0) parts.push('No cell succeeded on both sides.', '');
  for (const group of groups) parts.push(`### ${group.trace} / ${group.scenario}`, '', markdownTable(countTable(group.rows, false)), '');
  return parts.join('\n');
}
