/** validation.csv, validation.md, validation.html and the terminal table, for a fixed report (snapshots). */
import { describe, expect, it } from 'vitest';
import { validationToCsv } from '../src/validate/validationCsv.js';
import { validationToMarkdown } from '../src/validate/validationMarkdown.js';
import { escapeHtml, validationToHtml } from '../src/validate/validationHtml.js';
import { validationTable, verdictText, type ValidationReport } from '../src/validate/validationReport.js';

const REPORT: ValidationReport = {
  trace: 'traces/seq.csv',
  scenario: 'x86-tdp max=4k backing=4k prefault=none tlb=1536x12',
  modelledAs: 'x86-tdp max=4k backing=4k prefault=none tlb=1536x12 eager-split=off dirty-log-off=zap',
  hostBacking: '4k',
  host: ['MMU: shadow paging (kvm_pvm loaded; tdp_mmu N)'],
  notes: ['a note with <angle> brackets & an ampersand'],
  rows: [
    { model: 'faults_missing + faults_permission', kernel: 'pf_fixed', modelValue: 64, kernelValue: 64, status: 'agree', note: '' },
    { model: 'flush_requests', kernel: 'remote_tlb_flush_requests', modelValue: 0, kernelValue: 3, status: 'explained', note: 'shadow flushes, "quoted"' },
    { model: 'pages_4k', kernel: 'pages_4k', modelValue: 64, kernelValue: 65, status: 'differ', note: '' },
    { model: '-', kernel: 'dirty pages, memslot 0, line 9', modelValue: '-', kernelValue: 3, status: 'info', note: 'pages | logged' },
  ],
  agree: false,
};

describe('validation exporters', () => {
  it('verdict counts agreeing, explained and differing pairs', () => {
    expect(verdictText(REPORT)).toBe('FAIL: 1 counter(s) that should agree differ (1 agree, 1 differ for known reasons)');
    expect(verdictText({ ...REPORT, rows: REPORT.rows.slice(0, 2), agree: true })).toBe('OK: 1 counter(s) agree exactly, 1 differ for known reasons');
  });

  it('validation.csv', () => {
    expect(validationToCsv(REPORT)).toMatchSnapshot();
  });

  it('validation.md', () => {
    expect(validationToMarkdown(REPORT)).toMatchSnapshot();
  });

  it('validation.html is self-contained and escapes text', () => {
    const html = validationToHtml(REPORT);
    expect(html).not.toMatch(/<script|<link|src=/);
    expect(html).toContain('a note with &lt;angle&gt; brackets &amp; an ampersand');
    expect(escapeHtml('"<&>')).toBe('&quot;&lt;&amp;&gt;');
    expect(html).toMatchSnapshot();
  });

  it('terminal table', () => {
    expect(validationTable(REPORT)).toMatchSnapshot();
  });
});
