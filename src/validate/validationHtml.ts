/**
 * validation.html: the same content as validation.md as one self-contained
 * page (inline style, no script, no external file). Pure.
 */
import { STATUS_TEXT, verdictText, type ValidationReport } from './validationReport.js';

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(text: string | number): string {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em;max-width:72em;color:#222}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.agree td.s{color:#1a7f37}tr.differ td.s{color:#c62828;font-weight:bold}tr.explained td.s{color:#9a6700}tr.info td.s{color:#555}
code{background:#f4f4f4;padding:0 .2em}.verdict{font-weight:bold;margin:1em 0}`;

/** The HTML page of `report`. */
export function validationToHtml(report: ValidationReport): string {
  const rows = report.rows
    .map(
      (r) =>
        `<tr class="${r.status}"><td>${escapeHtml(r.model)}</td><td class="n">${escapeHtml(r.modelValue)}</td><td class="n">${escapeHtml(r.kernelValue)}</td><td>${escapeHtml(r.kernel)}</td><td class="s">${escapeHtml(STATUS_TEXT[r.status])}</td><td>${escapeHtml(r.note)}</td></tr>`,
    )
    .join('\n');
  const list = (items: string[]): string => `<ul>\n${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('\n')}\n</ul>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mmubench validation: ${escapeHtml(report.trace)}</title>
<style>
${STYLE}
</style>
</head>
<body>
<h1>Model versus KVM: ${escapeHtml(report.trace)}</h1>
${list([`Scenario: ${report.scenario}`, `Modelled as: ${report.modelledAs}`, `Real guest memory: ${report.hostBacking}`, ...report.host])}
<table>
<thead><tr><th>model counter</th><th>model</th><th>kernel</th><th>KVM statistic</th><th>status</th><th>why they may differ</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p class="verdict">${escapeHtml(verdictText(report))}</p>
${report.notes.length > 0 ? `<h2>Notes</h2>\n${list(report.notes)}` : ''}
</body>
</html>
`;
}
