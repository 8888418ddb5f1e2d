/**
 * `mmubench run` on a valid trace: exit 0 and a report folder with
 * results.csv (docs/report-format.md), run.json and the pre-fault chart;
 * results.csv does not depend on the thread count.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { fixture, runCli, tempDir, type CliResult } from './helpers/runCli.js';

const TRACE = fixture('tiny-valid.csv');
/** Columns the report contract requires (besides the leading ones). */
const REQUIRED_COLUMNS = ['prefault_calls', 'prefault_pages', 'pages_4k', 'pages_2m', 'pages_1g', 'tlb_hits', 'tlb_misses'];
/** Default matrix: --prefault none,all, everything else one value. */
const SCENARIOS = ['x86-tdp max=1g backing=2m prefault=none tlb=1536x12', 'x86-tdp max=1g backing=2m prefault=all tlb=1536x12'];

/** Run the tiny trace into a fresh folder; returns the result and the report folder. */
function runReport(extra: string[] = []): { result: CliResult; out: string } {
  const out = join(tempDir(), 'report');
  return { result: runCli(['run', TRACE, '--out', out, '-q', ...extra]), out };
}

function readResults(out: string): { header: string[]; rows: Record<string, string>[] } {
  const text = readFileSync(join(out, 'results.csv'), 'utf8');
  const [header] = parse(text, { to_line: 1 }) as string[][];
  return { header, rows: parse(text, { columns: true }) as Record<string, string>[] };
}

describe('mmubench run: the report folder', () => {
  it('exits 0 with nothing on stderr', () => {
    const { result } = runReport();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('writes results.csv with the columns the contract requires', () => {
    const { result, out } = runReport();
    expect(result.status, result.stderr).toBe(0);
    const { header } = readResults(out);
    expect(header.slice(0, 2)).toEqual(['trace', 'scenario']);
    for (const column of ['arch', 'max_level', 'backing', 'prefault', 'tlb_entries', 'tlb_ways', 'vcpu', 'accesses', 'faults', ...REQUIRED_COLUMNS]) {
      expect(header).toContain(column);
    }
    expect(new Set(header).size).toBe(header.length);
  });

  it('writes one row per (scenario, vCPU) and then an all row, per scenario', () => {
    const { result, out } = runReport();
    expect(result.status, result.stderr).toBe(0);
    const { rows } = readResults(out);
    expect(rows.map((r) => [r.trace, r.scenario, r.vcpu])).toEqual(
      SCENARIOS.flatMap((s) => [
        ['tiny-valid', s, '0'],
        ['tiny-valid', s, '1'],
        ['tiny-valid', s, 'all'],
      ]),
    );
    // Three R/W/X rows in the trace: two on vCPU 0, one on vCPU 1.
    expect(rows.map((r) => r.accesses)).toEqual(['2', '1', '3', '2', '1', '3']);
  });

  it('writes run.json with one cell per scenario', () => {
    const { result, out } = runReport();
    expect(result.status, result.stderr).toBe(0);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as {
      tool: string;
      cells: { ok: boolean; trace: string; scenario: { name: string } }[];
    };
    expect(run.tool).toBe('mmubench');
    expect(run.cells.map((c) => [c.ok, c.trace, c.scenario.name])).toEqual(SCENARIOS.map((s) => [true, 'tiny-valid', s]));
  });

  it('writes charts/faults-prefault.png as a PNG', () => {
    const { result, out } = runReport();
    expect(result.status, result.stderr).toBe(0);
    const png = readFileSync(join(out, 'charts', 'faults-prefault.png'));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('gives byte-identical results.csv with --threads 0 and --threads 2', () => {
    const matrix = ['--max-level', '4k,2m,1g', '--tlb-entries', '16,1536', '--tlb-ways', '4'];
    const inline = runReport(['--threads', '0', ...matrix]);
    const pooled = runReport(['--threads', '2', ...matrix]);
    expect(inline.result.status, inline.result.stderr).toBe(0);
    expect(pooled.result.status, pooled.result.stderr).toBe(0);
    const a = readFileSync(join(inline.out, 'results.csv'));
    const b = readFileSync(join(pooled.out, 'results.csv'));
    expect(readResults(inline.out).rows).toHaveLength(3 * 2 * 2 * 3);
    expect(b.equals(a)).toBe(true);
  });
});
