/**
 * docs/report-format.md stays true: its results.csv table lists exactly the
 * columns resultsToCsv writes, in order, and its file list names every file
 * writeReport can write.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RESULT_COLUMNS } from '../src/report/resultsCsv.js';
import { REPORT_FILES } from '../src/report/writeReport.js';

const DOC = readFileSync(new URL('../docs/report-format.md', import.meta.url), 'utf8');

describe('docs/report-format.md', () => {
  it('lists the results.csv columns in order, numbered', () => {
    const rows = [...DOC.matchAll(/^\| (\d+) \| `([a-z0-9_]+)` \|/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(rows).toEqual(RESULT_COLUMNS.map((name, i) => [i + 1, name]));
  });

  it('documents every file of the report folder', () => {
    for (const file of Object.values(REPORT_FILES)) expect(DOC, file).toContain(`\`${file}`);
    expect(DOC).toContain('`charts/fault-curve-<trace>.png`');
  });
});
