/**
 * validation.md: the setting, the host, the table and the verdict, in
 * Markdown (pasted as is into docs/validation.md). Pure.
 */
import { STATUS_TEXT, verdictText, type ValidationReport } from './validationReport.js';

const cell = (value: string | number): string => String(value).replace(/\|/g, '\\|');

/** The Markdown text of `report`. */
export function validationToMarkdown(report: ValidationReport): string {
  const out = [
    `# Validation: ${report.trace}`,
    '',
    `- Scenario: \`${report.scenario}\``,
    `- Modelled as: \`${report.modelledAs}\``,
    `- Real guest memory: ${report.hostBacking}`,
    ...report.host.map((h) => `- ${h}`),
    '',
    '| model counter | model | kernel | KVM statistic | status |',
    '| --- | ---: | ---: | --- | --- |',
    ...report.rows.map((r) => `| ${cell(r.model)} | ${cell(r.modelValue)} | ${cell(r.kernelValue)} | ${cell(r.kernel)} | ${STATUS_TEXT[r.status]} |`),
    '',
    `**${verdictText(report)}**`,
  ];
  const explained = [...new Set(report.rows.filter((r) => r.status === 'explained' || r.status === 'info').map((r) => `- \`${r.kernel}\`: ${r.note}`))];
  if (explained.length > 0) out.push('', '## Known differences', '', ...explained);
  if (report.notes.length > 0) out.push('', '## Notes', '', ...report.notes.map((n) => `- ${n}`));
  out.push('');
  return out.join('\n');
}
