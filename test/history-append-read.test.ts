import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { appendHistory, historyEntry, readHistory, trendWindow, type HistoryEntry } from '../src/report/history.js';
import { runOf, tinyCell } from './helpers/runModels.js';

function historyPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmubench-history-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'reports', 'history.jsonl');
}

const entry = (report: string, faults: number, matrix = 'abc'): HistoryEntry => ({
  report,
  startedAt: '2026-01-01T00:00:00.000Z',
  version: '0.1.0',
  cells: 1,
  failedCells: 0,
  matrix,
  headline: { faults },
  throughput: { replay: 1e6 },
});

describe('history.jsonl', () => {
  it('a missing file is an empty history', async () => {
    expect(await readHistory(historyPath())).toEqual({ entries: [], warnings: [] });
  });

  it('appends one line per entry (creating the folder) and reads them back in order', async () => {
    const path = historyPath();
    await appendHistory(path, entry('2026-01-01T00-00-00Z', 3));
    await appendHistory(path, entry('2026-01-02T00-00-00Z', 4));
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')).toHaveLength(3); // two lines, each ending with a newline
    expect(await readHistory(path)).toEqual({ entries: [entry('2026-01-01T00-00-00Z', 3), entry('2026-01-02T00-00-00Z', 4)], warnings: [] });
  });

  it('a torn last line (a crash mid-write) is skipped with a located warning, and the next append starts on a fresh line', async () => {
    const path = historyPath();
    await appendHistory(path, entry('2026-01-01T00-00-00Z', 3));
    appendFileSync(path, '{"report":"2026-01-02T0'); // torn: no closing brace, no newline
    const torn = await readHistory(path);
    expect(torn.entries).toEqual([entry('2026-01-01T00-00-00Z', 3)]);
    expect(torn.warnings).toHaveLength(1);
    expect(torn.warnings[0]).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: not JSON \\(.*\\); line skipped$`));
    await appendHistory(path, entry('2026-01-03T00-00-00Z', 5));
    const after = await readHistory(path);
    expect(after.entries.map((e) => e.report)).toEqual(['2026-01-01T00-00-00Z', '2026-01-03T00-00-00Z']);
    expect(after.warnings).toHaveLength(1);
    expect(after.warnings[0]).toContain(':2: not JSON');
  });

  it('a JSON line that is not an entry is skipped with a warning', async () => {
    const path = historyPath();
    await appendHistory(path, entry('2026-01-01T00-00-00Z', 3));
    appendFileSync(path, '{"report":"x"}\n');
    writeFileSync(path, readFileSync(path, 'utf8') + '\n'); // a blank line is simply ignored
    const parsed = await readHistory(path);
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.warnings).toEqual([`${path}:2: not a history entry (needs report, matrix, headline, throughput); line skipped`]);
  });

  it('historyEntry sums the headline counters over the cells and keeps the throughput per task', async () => {
    const small = await tinyCell('4k');
    const huge = await tinyCell('2m');
    const e = historyEntry('2026-01-01T00-00-00Z', runOf([small, huge], [{ name: 'replay', accessesPerIteration: 1000, samplesMs: [1, 2] }]));
    expect(e.cells).toBe(2);
    expect(e.headline.faults).toBe(small.total.faults + huge.total.faults);
    expect(e.throughput).toEqual({ replay: (1e6 + 5e5) / 2 }); // mean of 1000 accesses / 1 ms and / 2 ms
    expect(e.matrix).toMatch(/^[0-9a-f]{12}$/);
  });

  it('trendWindow keeps the last runs of the same matrix, ending with the current one', () => {
    const past = [entry('a', 1), entry('b', 2, 'other'), entry('c', 3), entry('d', 4)];
    expect(trendWindow(past, entry('e', 5), 3).map((e) => e.report)).toEqual(['c', 'd', 'e']);
  });
});
