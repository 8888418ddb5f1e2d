import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { findPreviousReport, reportStamp } from '../src/cli/nightlyCommand.js';
import { runToJson } from '../src/report/runJson.js';
import type { HistoryEntry } from '../src/report/history.js';
import { runOf } from './helpers/runModels.js';

/** A reports folder with one report folder per name, its run.json well-formed or broken. */
function reportsWith(names: Record<string, 'ok' | 'broken'>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmubench-baseline-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, kind] of Object.entries(names)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'run.json'), kind === 'ok' ? runToJson(runOf([])) : '{"tool": "mmubench"');
  }
  return dir;
}

const historyOf = (...reports: string[]): HistoryEntry[] =>
  reports.map((report) => ({ report, startedAt: '', version: '', cells: 0, failedCells: 0, matrix: 'm', headline: {}, throughput: {} }));

describe('nightly: the baseline', () => {
  it('report folders are named by UTC second', () => {
    expect(reportStamp(new Date('2026-11-23T10:15:00.123Z'))).toBe('2026-11-23T10-15-00Z');
  });

  it('is the newest earlier report, ordering same-second runs by their -N suffix', async () => {
    const reports = reportsWith({
      '2026-01-01T00-00-00Z': 'ok',
      '2026-01-02T00-00-00Z': 'ok',
      '2026-01-02T00-00-00Z-2': 'ok',
      '2026-01-02T00-00-00Z-10': 'ok',
      notes: 'ok',
    });
    const warnings: string[] = [];
    const found = await findPreviousReport(reports, [], '2026-01-03T00-00-00Z', (w) => warnings.push(w));
    expect(found?.name).toBe('2026-01-02T00-00-00Z-10');
    expect((await findPreviousReport(reports, [], '2026-01-02T00-00-00Z-10', () => undefined))?.name).toBe('2026-01-02T00-00-00Z-2');
    expect(warnings).toEqual([]);
  });

  it('skips a report with a broken run.json, and one history names but that is gone, with warnings', async () => {
    const reports = reportsWith({ '2026-01-01T00-00-00Z': 'ok', '2026-01-02T00-00-00Z': 'broken' });
    const warnings: string[] = [];
    const found = await findPreviousReport(reports, historyOf('2026-01-01T00-00-00Z', '2026-01-02T12-00-00Z'), '2026-01-03T00-00-00Z', (w) => warnings.push(w));
    expect(found?.name).toBe('2026-01-01T00-00-00Z');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(`${join(reports, '2026-01-02T12-00-00Z', 'run.json')}: no such file`);
    expect(warnings[1]).toContain(`${join(reports, '2026-01-02T00-00-00Z', 'run.json')}: not JSON`);
  });

  it('is absent on the first run', async () => {
    expect(await findPreviousReport(join(tmpdir(), 'mmubench-no-such-folder'), [], '2026-01-03T00-00-00Z', () => undefined)).toBeUndefined();
  });
});
