/**
 * `run` writes tlb-reach.csv by default (the reach curve is a run option, on
 * unless `--no-tlb-reach`), with `--no-tlb-reach` none and no `tlbReach` in
 * run.json; results.csv is the same either way (the curve changes no counter).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, runCli, tempDir } from './helpers/runCli.js';

const TRACE = fixture('tiny-valid.csv');

function run(extra: string[]): string {
  const out = join(tempDir(), 'report');
  const result = runCli(['run', TRACE, '--out', out, '-q', '--prefault', 'none', ...extra]);
  expect(result.status, result.stderr).toBe(0);
  return out;
}

describe('mmubench run --no-tlb-reach', () => {
  it('default: tlb-reach.csv with 13 sizes for the one cell; the flag: none, and results.csv unchanged', () => {
    const on = run([]);
    const off = run(['--no-tlb-reach']);
    const reach = readFileSync(join(on, 'tlb-reach.csv'), 'utf8').trim().split('\n');
    // Header + sizes 16..65536 (13) for one cell. At 2M backing vCPU 0's read and fetch share the 2M translation
    // at 0 and vCPU 1 writes in the one at 2 MiB: one cold miss per vCPU, 2 at every size.
    expect(reach[0]).toBe('trace,scenario,tlb_entries,tlb_misses');
    expect(reach.slice(1).map((row) => row.split(',').slice(2).join(','))).toEqual(Array.from({ length: 13 }, (_, i) => `${16 << i},2`));
    expect(existsSync(join(off, 'tlb-reach.csv'))).toBe(false);
    const cells = (file: string): { tlbReach?: unknown }[] =>
      (JSON.parse(readFileSync(join(file, 'run.json'), 'utf8')) as { cells: { tlbReach?: unknown }[] }).cells;
    expect(cells(on)[0].tlbReach).toBeDefined();
    expect(cells(off)[0].tlbReach).toBeUndefined();
    expect(readFileSync(join(off, 'results.csv'), 'utf8')).toBe(readFileSync(join(on, 'results.csv'), 'utf8'));
  });
});
