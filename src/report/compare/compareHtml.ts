/**
 * compare.html: the same tables as compare.md in one self-contained page
 * (inline style, no script, opens from disk), regressions in red and
 * improvements in green; each cell's counters fold away unless one changed.
 * Pure: the comparison in, HTML out.
 */
import type { Comparison, Verdict } from './compareRuns.js';
import { cellTable, countTable, countsByCell, flaggedTables, headline, summaryTable, thresholds, timingTable, type TextTable } from './compareTables.js';

/** Text safe in HTML content and attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:0.2em 0.6em;text-align:right}
th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}
tr.regression td{background:#fdd;font-weight:bold}
tr.improvement td{background:#dfd}
tr.changed td{background:#ffd}
summary{cursor:pointer;margin:0.3em 0}`;

const ROW_CLASS: Partial<Record<Verdict, string>> = { regression: 'regression', improvement: 'improvement', changed: 'changed' };

/** An HTML table; rows carry their verdict as a class. */
export function htmlTable(table: TextTable): string {
  const head = `<tr>${table.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const rows = table.rows.map((r) => {
    const cls = ROW_CLASS[r.verdict];
    return `<tr${cls ? ` class="${cls}"` : ''}>${r.cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  return `<table>\n${[head, ...rows].join('\n')}\n</table>`;
}

/** compare.html text. */
export function compareHtml(c: Comparison): string {
  const title = `mmubench compare: ${c.base} → ${c.current}`;
  const body: string[] = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p><strong>${escapeHtml(headline(c))}</strong></p>`,
    `<p>${escapeHtml(thresholds(c))}</p>`,
    htmlTable(summaryTable(c)),
  ];
  for (const [name, verdict] of [
    ['Regressions', 'regression'],
    ['Improvements', 'improvement'],
  ] as const) {
    const { counts, timings } = flaggedTables(c, verdict);
    body.push(`<h2>${name}</h2>`);
    if (counts.rows.length + timings.rows.length === 0) body.push('<p>None.</p>');
    for (const table of [counts, timings]) if (table.rows.length > 0) body.push(htmlTable(table));
  }
  body.push('<h2>Benchmarks</h2>', c.timings.length === 0 ? '<p>No benchmark samples on either side.</p>' : htmlTable(timingTable(c.timings)));
  if (c.cells.length > 0) body.push('<h2>Cells failed or on one side only</h2>', htmlTable(cellTable(c.cells)));
  body.push('<h2>Every counter</h2>');
  const groups = countsByCell(c);
  if (groups.length === 0) body.push('<p>No cell succeeded on both sides.</p>');
  for (const group of groups) {
    const open = group.rows.some((r) => r.verdict !== 'unchanged') ? ' open' : '';
    body.push(`<details${open}><summary>${escapeHtml(`${group.trace} / ${group.scenario}`)}</summary>`, htmlTable(countTable(group.rows, false)), '</details>');
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
${STYLE}
</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
