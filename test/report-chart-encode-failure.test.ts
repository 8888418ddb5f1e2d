/**
 * writeReport draws each chart while earlier ones still encode (up to four
 * at once; src/report/writeReport.ts `writeCharts`). Here the encodes finish
 * in reverse order and the third fails: the failure is the report's error
 * (not an unhandled rejection, which would fail this run), every other
 * encode settles first, and no report folder or temporary folder is left.
 * When all succeed in reverse order, each file still gets its own chart.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reportCharts, writeReport } from '../src/report/writeReport.js';
import { FIXTURE_HISTORY, fixtureRun } from './helpers/reportFixture.js';

/** Encodes started, and those settled; the nth (1-based) is `failAt`'s. */
const encodes = { started: 0, settled: 0, failAt: 0 };

vi.mock('../src/report/charts/renderChart.js', () => ({
  // Chart n of a run settles after (10 - n) timer turns: later charts first.
  renderChartPng: async (): Promise<Buffer> => {
    const n = ++encodes.started;
    for (let turn = n; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    encodes.settled++;
    if (n === encodes.failAt) throw new Error(`encode ${n} failed`);
    return Buffer.from(`png ${n}`);
  },
}));

afterEach(() => {
  Object.assign(encodes, { started: 0, settled: 0, failAt: 0 });
});

describe('writeReport with charts encoding side by side', () => {
  it('a failed encode is the error; the others settle; nothing is left', async () => {
    const run = await fixtureRun();
    const charts = reportCharts(run, FIXTURE_HISTORY).length;
    expect(charts).toBeGreaterThan(4); // more charts than encodes in flight
    const parent = mkdtempSync(join(tmpdir(), 'mmubench-encode-'));
    try {
      encodes.failAt = 3;
      await expect(writeReport(join(parent, 'report'), run, { force: false, history: FIXTURE_HISTORY })).rejects.toThrow('encode 3 failed');
      // Charts 1-3 were written or failed in turn, 4 more had started: the first four started before chart 1's turn, then one per written chart.
      expect(encodes.started).toBe(6);
      expect(encodes.settled).toBe(6);
      expect(existsSync(join(parent, 'report'))).toBe(false);
      expect(readdirSync(parent)).toEqual([]);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('writes every chart in the charts order, whatever order the encodes finish in', async () => {
    const run = await fixtureRun();
    const parent = mkdtempSync(join(tmpdir(), 'mmubench-encode-'));
    try {
      await writeReport(join(parent, 'report'), run, { force: false, history: FIXTURE_HISTORY });
      const files = reportCharts(run, FIXTURE_HISTORY).map((c) => c.file);
      expect(encodes.started).toBe(files.length);
      expect(files.map((file) => readFileSync(join(parent, 'report', file), 'utf8'))).toEqual(files.map((_, i) => `png ${i + 1}`));
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
