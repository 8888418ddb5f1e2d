/**
 * reports/history.jsonl: one line per nightly run with its headline numbers,
 * for the trend chart and for finding the baseline. Lines are only ever
 * appended, each with a single write followed by fsync, so a crash leaves at
 * most a torn last line, which reading skips with a warning (and the next
 * append starts on a fresh line).
 */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileIoError } from '../errors.js';
import { makeFolders } from '../outputPath.js';
import { benchmarkStats } from './benchmarkStats.js';
import { hugeCoverage, sumMetric } from './metrics.js';
import type { RunModel } from './runJson.js';
import type { CellResult } from '../replay/results.js';
import { prefaultTable } from './scenarioGroups.js';

/** The history file's name inside the reports folder. */
export const HISTORY_FILE = 'history.jsonl';

/** Counters summed over all cells for the headline (looked up by name; absent ones are left out). */
export const HEADLINE_COUNTERS = ['faults', 'tlb_misses', 'walk_refs', 'tlb_entries_flushed', 'refill_misses', 'mmu_pages', 'est_stage2_ns'] as const;

/** One line of history.jsonl. */
export interface HistoryEntry {
  /** The report folder's name, e.g. `2026-11-23T10-15-00Z`. */
  report: string;
  startedAt: string;
  version: string;
  /** Cells with a result, and cells that failed. */
  cells: number;
  failedCells: number;
  /** Digest of the (trace, scenario) cell names: the trend only compares runs of the same matrix. */
  matrix: string;
  /**
   * Sums over the cells of `HEADLINE_COUNTERS`, plus `huge_coverage_pct`
   * (share of mapped bytes in 2M/1G leaves) and `prefault_saving_pct`
   * (faults saved by pre-populated scenarios over their prefault=none twins).
   */
  headline: Record<string, number>;
  /** Mean throughput per benchmark task, guest accesses per second. */
  throughput: Record<string, number>;
  /** The comparison with the baseline, when there was one. */
  compare?: { baseline: string; regressions: number; improvements: number; exitCode: number };
}

/** Digest of the cell names (12 hex digits). */
export function matrixDigest(run: RunModel): string {
  const names = run.outcomes.map((o) => (o.ok ? `${o.result.trace}/${o.result.scenario.name}` : `${o.trace}/${o.scenario.name}`));
  return createHash('sha256').update(names.join('\n')).digest('hex').slice(0, 12);
}

/** Faults saved by pre-population, in % of the prefault=none faults of the same (trace, base scenario). */
export function prefaultSavingPct(results: readonly CellResult[]): number | undefined {
  let none = 0;
  let saved = 0;
  for (const row of prefaultTable(results).rows) {
    const base = row.cells.get('none');
    if (base === undefined) continue;
    for (const [prefault, cell] of row.cells) {
      if (prefault === 'none') continue;
      none += base.total.faults;
      saved += base.total.faults - cell.total.faults;
    }
  }
  return none === 0 ? undefined : (saved / none) * 100;
}

/** The history line for `run`, written into report folder `report`. */
export function historyEntry(report: string, run: RunModel): HistoryEntry {
  const results = run.outcomes.flatMap((o) => (o.ok ? [o.result] : []));
  const headline: Record<string, number> = {};
  for (const name of HEADLINE_COUNTERS) {
    const sum = sumMetric(results, name);
    if (sum !== undefined) headline[name] = sum;
  }
  const coverage = hugeCoverage(results);
  if (coverage !== undefined) headline.huge_coverage_pct = coverage * 100;
  const saving = prefaultSavingPct(results);
  if (saving !== undefined) headline.prefault_saving_pct = saving;
  const throughput: Record<string, number> = {};
  for (const bench of run.benchmarks ?? []) throughput[bench.name] = benchmarkStats(bench).accessesPerSecond;
  return {
    report,
    startedAt: run.info.startedAt,
    version: run.info.version,
    cells: results.length,
    failedCells: run.outcomes.length - results.length,
    matrix: matrixDigest(run),
    headline,
    throughput,
  };
}

/** Parsed history: the entries, and one `file:line: ...` warning per line that is not an entry. */
export interface ParsedHistory {
  entries: HistoryEntry[];
  warnings: string[];
}

const isNumberRecord = (value: unknown): value is Record<string, number> =>
  typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'number');

/**
 * Parse history.jsonl text. A bad line (typically the torn last line of a
 * crashed nightly) is skipped with a warning rather than failing the
 * nightly: the history only feeds the trend chart and the baseline search.
 */
export function parseHistory(text: string, path: string): ParsedHistory {
  const entries: HistoryEntry[] = [];
  const warnings: string[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      warnings.push(`${path}:${index + 1}: not JSON (${(error as Error).message}); line skipped`);
      return;
    }
    const entry = value as Partial<HistoryEntry>;
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof entry.report !== 'string' ||
      typeof entry.matrix !== 'string' ||
      !isNumberRecord(entry.headline) ||
      !isNumberRecord(entry.throughput)
    ) {
      warnings.push(`${path}:${index + 1}: not a history entry (needs report, matrix, headline, throughput); line skipped`);
      return;
    }
    entries.push(entry as HistoryEntry);
  });
  return { entries, warnings };
}

/** Read history.jsonl; a missing file is an empty history. */
export async function readHistory(path: string): Promise<ParsedHistory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], warnings: [] };
    throw error;
  }
  return parseHistory(text, path);
}

/**
 * Append `entry` as one line, atomically enough for a log that is only ever
 * appended to (issue 8):
 *
 * 1. Open for append (O_APPEND: the write lands at the end even if another
 *    process appended meanwhile).
 * 2. When the file does not end with a newline (a line torn by an earlier
 *    crash), start with one, so the torn line stays alone and is skipped on
 *    reading instead of swallowing this entry.
 * 3. One write of the whole line (a loop only in the unlikely case of a
 *    short write), then fsync; a new file also fsyncs its folder.
 *
 * Concurrent nightlies append their own lines: O_APPEND puts each write at
 * the end of the file. A system error (full disk...) is one `IoError` line
 * naming the file.
 */
export async function appendHistory(path: string, entry: HistoryEntry): Promise<void> {
  try {
    await appendLine(path, entry);
  } catch (error) {
    throw fileIoError(path, error);
  }
}

async function appendLine(path: string, entry: HistoryEntry): Promise<void> {
  await makeFolders(dirname(path));
  // 1. Append mode, readable so that the last byte can be checked.
  const handle = await open(path, 'a+');
  let created = false;
  try {
    const { size } = await handle.stat();
    created = size === 0;
    // 2. A torn last line gets its newline first.
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    // 3. One write, then fsync.
    const bytes = Buffer.from(`${prefix}${JSON.stringify(entry)}\n`, 'utf8');
    let offset = 0;
    while (offset < bytes.length) offset += (await handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (created) await syncFolder(dirname(path));
}

/** fsync a folder, so that a file just created in it survives a crash (not supported everywhere: best effort). */
async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot open or fsync a directory; the file's own fsync still holds.
  }
}

/** The last `count` entries of the same matrix as `current` (oldest first), ending with `current`. */
export function trendWindow(entries: readonly HistoryEntry[], current: HistoryEntry, count: number): HistoryEntry[] {
  const same = entries.filter((e) => e.matrix === current.matrix && e.report !== current.report);
  return [...same, current].slice(-Math.max(1, count));
}
