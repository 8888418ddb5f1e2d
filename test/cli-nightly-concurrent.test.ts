/**
 * Concurrent nightlies into one reports folder (cron overlaps, CI runners
 * sharing a folder): each gets its own complete report folder and its own
 * history line, and its baseline is a complete earlier report.
 *
 * The children's clocks are fixed (test/helpers/fixedClock.mjs), so the
 * four concurrent runs all start "in the same second" and must share out
 * the names `<stamp>`, `<stamp>-2`, `-3`, `-4` among themselves.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/runCli.js';
import { startCli } from './helpers/startCli.js';
import { REPORT_FILES, tinyNightlyArgs } from './helpers/nightlyArgs.js';

const CONCURRENT = 4;
const nightly = (reports: string): string[] => tinyNightlyArgs(reports, 0, ['-q']);

describe('concurrent nightlies into one reports folder', () => {
  it(`${CONCURRENT} nightlies started in the same second: ${CONCURRENT} complete folders, ${CONCURRENT} history lines, complete baselines`, async () => {
    const reports = join(tempDir(), 'reports');
    // 1. An earlier complete report, the baseline candidate of all four.
    const first = await startCli(nightly(reports), { now: '2026-12-01T02:00:00.000Z' }).done;
    expect(first.status, first.stderr).toBe(0);
    // 2. Four at once, all at 03:00:00.
    const runs = await Promise.all(Array.from({ length: CONCURRENT }, () => startCli(nightly(reports), { now: '2026-12-01T03:00:00.000Z' }).done));
    for (const run of runs) {
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
    }
    // 3. Every name taken once, each folder complete; nothing temporary left.
    const stamp = '2026-12-01T03-00-00Z';
    const names = [stamp, `${stamp}-2`, `${stamp}-3`, `${stamp}-4`];
    expect(readdirSync(reports).sort()).toEqual(['2026-12-01T02-00-00Z', ...names, 'history.jsonl'].sort());
    for (const name of names) {
      expect(
        readdirSync(join(reports, name))
          .filter((f) => !f.startsWith('compare.'))
          .sort(),
        name,
      ).toEqual(REPORT_FILES);
      expect(existsSync(join(reports, name, 'compare.md')), name).toBe(true);
    }
    // Same trace, same matrix: byte-identical results.
    const results = names.map((name) => readFileSync(join(reports, name, 'results.csv'), 'utf8'));
    for (const csv of results) expect(csv).toBe(readFileSync(join(reports, '2026-12-01T02-00-00Z', 'results.csv'), 'utf8'));
    // 4. One history line per report; each baseline is an earlier folder that exists and is complete.
    const entries = readFileSync(join(reports, 'history.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entries.map((e) => e.report).sort()).toEqual(['2026-12-01T02-00-00Z', ...names].sort());
    const order = ['2026-12-01T02-00-00Z', ...names];
    for (const entry of entries.slice(1)) {
      expect(entry.compare, entry.report).toBeDefined();
      const baseline = entry.compare.baseline as string;
      expect(order.indexOf(baseline), `${entry.report} compared with ${baseline}`).toBeLessThan(order.indexOf(entry.report));
      expect(
        readdirSync(join(reports, baseline))
          .filter((f) => !f.startsWith('compare.'))
          .sort(),
      ).toEqual(REPORT_FILES);
      // Identical counts: the comparison found no regression.
      expect(entry.compare.exitCode).toBe(0);
    }
  }, 60_000);
});
