/**
 * `kill -9` of a nightly at three points, each followed by a clean nightly
 * into the same reports folder. Each point is reached deterministically: the
 * test polls the reports folder (bounded) until the point's file appears,
 * then sends SIGKILL.
 *
 * 1. The temporary folder `.<stamp>.tmp-<pid>-<owner>` has appeared (the
 *    replay is done, the report is being written).
 * 2. Its first chart has been written (results.csv, run.json, summary.md and
 *    one PNG in; more charts and index.html to come).
 * 3. The report folder has appeared (renamed: complete); comparison and
 *    history line may or may not have followed.
 *
 * Point 1 waits for the report's own temporary folder (named after its
 * timestamp), not for any temporary entry: the run's write probe of the
 * reports folder (`.mmubench-probe.tmp-<pid>-<owner>`, src/outputPath.ts)
 * exists for a moment at its start and is gone before the kill lands.
 *
 * After 1 and 2 the killed run left its temporary folder and nothing else:
 * no report folder, no history line. The clean nightly removes it (saying
 * so on stderr), writes its own complete report and history line, and
 * compares with a complete report. After 3 the killed run's report stays
 * complete and usable as a baseline.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers/runCli.js';
import { startCli, waitFor } from './helpers/startCli.js';
import { REPORT_FILES, tinyNightlyArgs } from './helpers/nightlyArgs.js';

const args = (reports: string, quiet: boolean): string[] => tinyNightlyArgs(reports, 0, quiet ? ['-q'] : []);
const STAMP = '\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\dZ(-\\d+)?';
const REPORT = new RegExp(`^${STAMP}$`);
/** Any temporary entry (the clean run must leave none). */
const TEMP = /^\.(.+)\.tmp-(\d+)-[0-9a-f]{8}$/;
/** A report's temporary folder: `.<stamp>.tmp-<pid>-<owner>`. */
const REPORT_TEMP = new RegExp(`^\\.${STAMP}\\.tmp-(\\d+)-[0-9a-f]{8}$`);

const temps = (reports: string): string[] => readdirSync(reports).filter((name) => TEMP.test(name));
const reportTemps = (reports: string): string[] => readdirSync(reports).filter((name) => REPORT_TEMP.test(name));
const reportNames = (reports: string): string[] =>
  readdirSync(reports)
    .filter((name) => REPORT.test(name))
    .sort();
const historyReports = (reports: string): string[] =>
  readFileSync(join(reports, 'history.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line).report);
const complete = (reports: string, name: string): boolean =>
  REPORT_FILES.every((file) => existsSync(join(reports, name, file))) && readdirSync(join(reports, name, 'charts')).length >= 5;

/** Start a nightly, SIGKILL it once `point` holds, wait until it is gone; returns its pid. */
async function killAt(reports: string, what: string, point: () => boolean): Promise<number> {
  const started = startCli(args(reports, true));
  try {
    await waitFor(what, point);
  } finally {
    started.child.kill('SIGKILL');
  }
  const result = await started.done;
  expect(result.signal, `${what}: ${result.stderr}`).toBe('SIGKILL');
  return started.child.pid!;
}

/** The clean nightly after a kill: exit 0, no temporary entry left, every report complete, history names only complete reports. */
function cleanRun(reports: string): { stderr: string; name: string } {
  const before = new Set(reportNames(reports));
  const result = runCli(args(reports, false));
  expect(result.status, result.stderr).toBe(0);
  expect(temps(reports)).toEqual([]);
  const names = reportNames(reports);
  for (const name of names) expect(complete(reports, name), name).toBe(true);
  const added = names.filter((name) => !before.has(name));
  expect(added).toHaveLength(1);
  const history = historyReports(reports);
  for (const name of history) expect(names, `history line ${name}`).toContain(name);
  expect(history.at(-1)).toBe(added[0]);
  // Its baseline is one of the complete reports before it.
  expect(result.stdout).toMatch(new RegExp(`mmubench: compare (${[...before].join('|')}) -> ${added[0]}:`));
  return { stderr: result.stderr, name: added[0] };
}

describe('kill -9 of a nightly, then a clean nightly', () => {
  it('at three points: the stale temporary folder is removed, reports and history stay complete', async () => {
    const reports = join(tempDir(), 'reports');
    const first = runCli(args(reports, true));
    expect(first.status, first.stderr).toBe(0);

    // 1. The temporary folder has appeared.
    const pid1 = await killAt(reports, "the report's temporary folder", () => existsSync(reports) && reportTemps(reports).length > 0);
    const [stale1] = reportTemps(reports);
    expect(stale1).toMatch(new RegExp(`\\.tmp-${pid1}-`));
    expect(reportNames(reports)).toHaveLength(1);
    expect(historyReports(reports)).toHaveLength(1);
    expect(cleanRun(reports).stderr).toContain(`mmubench: removed ${join(reports, stale1)}, left by a run that died\n`);

    // 2. The temporary folder holds its first chart.
    const pid2 = await killAt(reports, 'a chart in the temporary folder', () =>
      reportTemps(reports).some((name) => existsSync(join(reports, name, 'charts')) && readdirSync(join(reports, name, 'charts')).length > 0),
    );
    const [stale2] = reportTemps(reports);
    expect(stale2).toMatch(new RegExp(`\\.tmp-${pid2}-`));
    expect(existsSync(join(reports, stale2, 'results.csv'))).toBe(true);
    expect(existsSync(join(reports, stale2, 'index.html'))).toBe(false);
    const reportsBefore = reportNames(reports).length;
    expect(historyReports(reports)).toHaveLength(reportsBefore);
    expect(cleanRun(reports).stderr).toContain(`mmubench: removed ${join(reports, stale2)}, left by a run that died\n`);

    // 3. The report folder has appeared: it is complete, whatever came after it.
    const names = new Set(reportNames(reports));
    await killAt(reports, 'the new report folder', () => reportNames(reports).some((name) => !names.has(name)));
    const killedName = reportNames(reports).find((name) => !names.has(name))!;
    expect(complete(reports, killedName)).toBe(true);
    const after = cleanRun(reports);
    expect(after.stderr).not.toContain('removed');
    expect(reportNames(reports)).toContain(killedName);
  }, 60_000);
});
