import { appendFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, runTestCli, tempDir } from './helpers/runCli.js';
import { tinyNightlyArgs } from './helpers/nightlyArgs.js';

/** Two tiny traces' worth of matrix (4 cells) and a short quick benchmark: a few seconds per nightly. */
const nightly = (reports: string, extra: string[] = []): string[] => tinyNightlyArgs(reports, 200, extra);

const reportFolders = (reports: string): string[] =>
  readdirSync(reports)
    .filter((name) => /^\d{4}-/.test(name))
    .sort();
const historyLines = (reports: string): string[] => readFileSync(join(reports, 'history.jsonl'), 'utf8').split('\n').filter(Boolean);

describe('mmubench nightly', () => {
  it('the first run has no baseline and exits 0; a second run on a deliberately slower engine exits 1 on timings', () => {
    const reports = join(tempDir(), 'reports');
    // 1. First nightly: report, benchmark samples, one history line, nothing to compare.
    const first = runCli(nightly(reports));
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`mmubench: no baseline (no earlier report in ${reports}): nothing to compare, this run is the first`);
    const [firstName] = reportFolders(reports);
    const firstRun = JSON.parse(readFileSync(join(reports, firstName, 'run.json'), 'utf8'));
    expect(firstRun.cells).toHaveLength(4);
    expect(firstRun.benchmarks.map((b: { name: string }) => b.name)).toEqual([
      'quick replay hit-heavy (hotcold, 2M backing), 20000 accesses',
      'quick replay fault-heavy (boot, 4K backing), 20000 accesses',
    ]);
    for (const bench of firstRun.benchmarks) expect(bench.samplesMs.length).toBeGreaterThanOrEqual(10);
    expect(existsSync(join(reports, firstName, 'compare.md'))).toBe(false);
    expect(historyLines(reports).map((line) => JSON.parse(line).report)).toEqual([firstName]);
    // 2. A crash while appending left a torn last line: a warning, never fatal.
    appendFileSync(join(reports, 'history.jsonl'), '{"report":"torn');
    // 3. Second nightly, every benchmark iteration replaying twice (test/helpers/testCli.mjs --slow-engine).
    const second = runTestCli(['--slow-engine', ...nightly(reports)]);
    expect(second.status, second.stdout + second.stderr).toBe(1);
    expect(second.stderr).toMatch(/mmubench: warning: .*history\.jsonl:2: not JSON .*; line skipped/);
    expect(second.stdout).toMatch(/REGRESSION timing quick replay (hit|fault)-heavy/);
    expect(second.stdout).not.toContain('REGRESSION count');
    const [, secondName] = reportFolders(reports);
    expect(readFileSync(join(reports, secondName, 'compare.md'), 'utf8')).toContain(`# mmubench compare: ${firstName} → ${secondName}`);
    expect(existsSync(join(reports, secondName, 'compare.html'))).toBe(true);
    const entries = historyLines(reports).flatMap((line) => (line.startsWith('{"report":"torn') ? [] : [JSON.parse(line)]));
    expect(entries.map((e) => e.report)).toEqual([firstName, secondName]);
    expect(entries[1].compare).toMatchObject({ baseline: firstName, exitCode: 1 });
  });

  it('--baseline naming a folder without run.json exits 2 before any replay', () => {
    const dir = tempDir();
    const reports = join(dir, 'reports');
    const missing = join(dir, 'nope');
    expectOneLineError(runCli(nightly(reports, ['--baseline', missing])), `${join(missing, 'run.json')}: no such file (is ${missing} a report folder?)`);
    expect(existsSync(reports)).toBe(false);
  });
});
