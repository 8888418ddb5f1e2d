/**
 * index.html: the report for a browser, self-contained: inline CSS, charts
 * embedded as `data:` URIs, no script, so it opens from disk with no server
 * and survives being mailed or archived alone. Tables: the summary (as in
 * summary.md), failed cells with their error, benchmarks, and every counter
 * of every cell. Pure: the run and the rendered chart bytes in, text out.
 */
import { benchmarkStats } from './benchmarkStats.js';
import { groupedNumber } from './formatNumbers.js';
import { cellMetric, cellMetricNames } from './metrics.js';
import type { CellResult } from '../replay/results.js';
import type { RunModel } from './runJson.js';
import { summaryTable } from './summaryTable.js';
import { costsNote, countText, runLine, summaryColumns, summaryNote } from './summaryMarkdown.js';
import { verdict } from './verdict.js';

/** A rendered chart: where it is in the folder, what it shows, its PNG bytes. */
export interface RenderedChart {
  /** Path inside the report folder, e.g. `charts/faults-prefault.png`. */
  file: string;
  title: string;
  /** One sentence: what to look for. */
  caption?: string;
  png: Uint8Array;
}

/** Text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0.8rem auto 2rem; max-width: 1280px; padding: 0 1rem; color: #222; }
h1 { margin: 0 0 0.2rem; font-size: 1.7rem; }
p.run { margin: 0.2rem 0; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2.2rem; }
p.run { color: #444; }
code { background: #f4f4f4; padding: 0 0.2rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; vertical-align: top; }
th { background: #f0f0f0; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.failed td { background: #fdecea; }
.scroll { overflow-x: auto; }
figure { margin: 1.5rem 0; }
figure img { width: 100%; max-width: 1200px; height: auto; border: 1px solid #ddd; }
figcaption { color: #333; font-size: 0.95rem; }
figcaption code { font-size: 0.8rem; }
.note { color: #555; font-size: 0.9rem; }
#verdict { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap: 0.6rem; margin: 0.6rem 0; }
#verdict h2 { grid-column: 1 / -1; margin: 0.4rem 0 0; }
#verdict p.note { grid-column: 1 / -1; margin: 0; }
.trace-verdict { border: 1px solid #ccc; border-radius: 4px; padding: 0.3rem 0.6rem; font-size: 0.8rem; line-height: 1.3; }
.trace-verdict h3 { margin: 0 0 0.2rem; font-size: 0.95rem; }
.trace-verdict ul { margin: 0; padding-left: 1rem; }
.trace-verdict code { font-size: 0.75rem; background: #eef3f8; }
`;

/** A table from header cells and rows of [text, numeric?] cells (all text escaped here). */
function htmlTable(headers: readonly string[], rows: readonly (readonly [string, boolean])[][], rowClass?: (index: number) => string | undefined): string {
  const head = `<tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows
    .map((cells, i) => {
      const cls = rowClass?.(i);
      const tds = cells.map(([text, numeric]) => `<td${numeric ? ' class="num"' : ''}>${escapeHtml(text)}</td>`).join('');
      return `<tr${cls ? ` class="${cls}"` : ''}>${tds}</tr>`;
    })
    .join('\n');
  return `<div class="scroll"><table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

/** The first screen: per trace, one line per question, best and worst scenario named (src/report/verdict.ts). */
function verdictSection(run: RunModel, results: readonly CellResult[]): string {
  if (results.length === 0) return '';
  const cards = verdict(results).map((trace) => {
    const items = trace.lines.map((line) => {
      const parts = line.parts.map((p) => ('scenario' in p ? `<code>${escapeHtml(p.scenario)}</code>` : escapeHtml(p.text))).join('');
      return `<li><b>${escapeHtml(line.question)}</b>: ${parts}</li>`;
    });
    return `<div class="trace-verdict"><h3>${escapeHtml(trace.trace)}</h3>\n<ul>\n${items.join('\n')}\n</ul></div>`;
  });
  return `<section id="verdict">\n<h2>Verdict</h2>\n${cards.join('\n')}\n<p class="note">${escapeHtml(costsNote(run))} Scenario names show only the words that differ between scenarios.</p>\n</section>`;
}

function summarySection(results: readonly CellResult[]): string {
  const table = summaryTable(results);
  if (table.rows.length === 0) return '<h2>Summary</h2>\n<p>No cell produced a result.</p>';
  const columns = summaryColumns(table);
  const rows = table.rows.map((row) => columns.map((c) => [c.text(row), c.numeric] as [string, boolean]));
  const headers = columns.map((c) => c.header);
  const note = summaryNote(table);
  return `<h2>Summary</h2>\n${htmlTable(headers, rows)}\n<p class="note">${escapeHtml(note)}</p>`;
}

function failedSection(run: RunModel): string {
  const failed = run.outcomes.flatMap((o) => (o.ok ? [] : [o]));
  if (failed.length === 0) return '';
  const rows = failed.map(
    (f) =>
      [
        [f.trace, false],
        [f.scenario.name, false],
        [f.error.kind, false],
        [f.error.message, false],
      ] as [string, boolean][],
  );
  return `<h2 id="failed">Failed cells (${failed.length})</h2>\n${htmlTable(['Trace', 'Scenario', 'Error', 'Message'], rows, () => 'failed')}`;
}

function chartsSection(charts: readonly RenderedChart[]): string {
  if (charts.length === 0) return '<h2>Charts</h2>\n<p>No chart: no cell produced a result.</p>';
  const figures = charts.map(
    (c) =>
      `<figure>\n<img src="data:image/png;base64,${Buffer.from(c.png).toString('base64')}" alt="${escapeHtml(c.title)}" width="1200" height="600">\n<figcaption>${escapeHtml(c.caption ?? c.title)} (<code>${escapeHtml(c.file)}</code>)</figcaption>\n</figure>`,
  );
  return `<h2>Charts</h2>\n${figures.join('\n')}`;
}

function benchmarksSection(run: RunModel): string {
  if (run.benchmarks === undefined || run.benchmarks.length === 0) return '';
  const rows = run.benchmarks.map(benchmarkStats).map(
    (s) =>
      [
        [s.name, false],
        [String(s.samples), true],
        [s.meanMs.toFixed(3), true],
        [s.medianMs.toFixed(3), true],
        [s.sdMs.toFixed(3), true],
        [`${groupedNumber(s.accessesPerSecond)} ± ${groupedNumber(s.accessesPerSecondSd)}`, true],
      ] as [string, boolean][],
  );
  return `<h2>Benchmarks</h2>\n${htmlTable(['Task', 'Iterations', 'Mean (ms)', 'Median (ms)', 'SD (ms)', 'Throughput (guest accesses/s, mean ± SD)'], rows)}`;
}

function cellsSection(results: readonly CellResult[]): string {
  if (results.length === 0) return '';
  const names: string[] = [];
  for (const cell of results) for (const name of cellMetricNames(cell)) if (!names.includes(name)) names.push(name);
  const rows = results.map((cell) => [
    [cell.trace, false] as [string, boolean],
    [cell.scenario.name, false] as [string, boolean],
    ...names.map((name) => [countText(cellMetric(cell, name)), true] as [string, boolean]),
  ]);
  return `<h2>All cells</h2>\n<p class="note">Totals over all vCPUs (per-vCPU rows are in results.csv); column names as in results.csv.</p>\n${htmlTable(['Trace', 'Scenario', ...names], rows)}`;
}

/** The index.html text for `run` with its rendered `charts` (in display order). */
export function indexHtml(run: RunModel, charts: readonly RenderedChart[]): string {
  const results: CellResult[] = run.outcomes.flatMap((o) => (o.ok ? [o.result] : []));
  const sections = [
    `<h1>mmubench report</h1>\n<p class="run">${escapeHtml(runLine(run))}</p>`,
    verdictSection(run, results),
    `<p class="note">Command: <code>${escapeHtml(run.info.command.join(' '))}</code> · Node ${escapeHtml(run.info.node)} · ${run.info.threads} threads. Files: <code>results.csv</code>, <code>run.json</code>, <code>summary.md</code>, <code>charts/</code>.</p>`,
    summarySection(results),
    failedSection(run),
    chartsSection(charts),
    benchmarksSection(run),
    cellsSection(results),
  ].filter((s) => s !== '');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mmubench report ${escapeHtml(run.info.startedAt)}</title>
<style>${STYLE}</style>
</head>
<body>
${sections.join('\n')}
</body>
</html>
`;
}
