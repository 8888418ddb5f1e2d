/**
 * writeReport: the one place that names and writes the report folder. On the
 * fixed run of test/helpers/reportFixture.ts, with real chart rendering.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FILES, writeReport } from '../src/report/writeReport.js';
import { resultsToCsv } from '../src/report/resultsCsv.js';
import { summaryMarkdown } from '../src/report/summaryMarkdown.js';
import { tlbReachCsv } from '../src/report/tlbReachCsv.js';
import type { RunModel } from '../src/report/runJson.js';
import { FIXTURE_BENCHMARKS, FIXTURE_HISTORY, fixtureRun } from './helpers/reportFixture.js';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

let run: RunModel;
let parent: string;
let out: string;

beforeAll(async () => {
  run = { ...(await fixtureRun()), benchmarks: FIXTURE_BENCHMARKS };
  parent = mkdtempSync(join(tmpdir(), 'mmubench-report-'));
  out = join(parent, 'report');
  await writeReport(out, run, { force: false, history: FIXTURE_HISTORY });
}, 30_000);

afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('writeReport', () => {
  it('writes every file of the folder and leaves no temporary folder behind', () => {
    expect(readdirSync(parent)).toEqual(['report']);
    expect(readdirSync(out).sort()).toEqual(['charts', 'index.html', 'results.csv', 'run.json', 'summary.md', 'tlb-reach.csv']);
    expect(readdirSync(join(out, 'charts')).sort()).toEqual([
      'fault-curve-boot.png',
      'fault-curve-unmap.png',
      'faults-prefault.png',
      'flush-cost.png',
      'mapping-levels.png',
      'throughput.png',
      'tlb-misses.png',
      'tlb-reach-boot.png',
      'trend.png',
    ]);
  });

  it('renders each chart as a 1200x600 PNG', () => {
    for (const file of readdirSync(join(out, 'charts'))) {
      expect(pngSize(readFileSync(join(out, 'charts', file))), file).toEqual({ width: 1200, height: 600 });
    }
  });

  it('embeds in index.html exactly the bytes of each chart file', () => {
    const html = readFileSync(join(out, REPORT_FILES.index), 'utf8');
    const embedded = [...html.matchAll(/<img src="data:image\/png;base64,([^"]+)"[^>]*>\n<figcaption>[^<]*\(<code>([^<]+)<\/code>\)/g)];
    expect(embedded).toHaveLength(9);
    for (const [, base64, file] of embedded) expect(Buffer.from(base64, 'base64').equals(readFileSync(join(out, file))), file).toBe(true);
  });

  it('writes results.csv and summary.md from the pure exporters, and run.json with the fault curves', () => {
    const results = run.outcomes.flatMap((o) => (o.ok ? [o.result] : []));
    expect(readFileSync(join(out, REPORT_FILES.results), 'utf8')).toBe(resultsToCsv(results));
    expect(readFileSync(join(out, REPORT_FILES.summary), 'utf8')).toBe(summaryMarkdown(run));
    const json = JSON.parse(readFileSync(join(out, REPORT_FILES.run), 'utf8')) as { cells: { ok: boolean; faultCurve?: number[] }[]; benchmarks: unknown[] };
    expect(json.cells.map((c) => (c.ok ? c.faultCurve!.at(-1) : 'failed'))).toEqual([4, 0, 3, 1, 'failed']);
    expect(json.benchmarks).toHaveLength(2);
    expect(readFileSync(join(out, REPORT_FILES.tlbReach), 'utf8')).toBe(tlbReachCsv(results));
  });

  it('without benchmarks and with one history entry: no throughput or trend chart', async () => {
    const plain = join(parent, 'plain');
    await writeReport(plain, await fixtureRun(), { force: false, history: FIXTURE_HISTORY.slice(0, 1) });
    const charts = readdirSync(join(plain, 'charts'));
    expect(charts).not.toContain('throughput.png');
    expect(charts).not.toContain('trend.png');
    expect(charts).toHaveLength(7);
  }, 30_000);
});
