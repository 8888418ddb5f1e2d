/**
 * tlb-reach.csv: one row per (cell with a reach curve, TLB size), in cell
 * order; absent when no cell has a curve. Hand-made curves (the engine does
 * not feed them yet).
 */
import { describe, expect, it } from 'vitest';
import { tlbReachCsv } from '../src/report/tlbReachCsv.js';
import type { CellResult } from '../src/replay/results.js';
import { fixtureRun } from './helpers/reportFixture.js';

async function results(): Promise<CellResult[]> {
  return (await fixtureRun()).outcomes.flatMap((o) => (o.ok ? [o.result] : []));
}

describe('tlb-reach.csv exporter', () => {
  it('matches the snapshot: the two boot cells, four sizes each; unmap has no curve', async () => {
    const text = tlbReachCsv(await results())!;
    expect(text).toMatchSnapshot();
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('trace,scenario,tlb_entries,tlb_misses');
    // 2 cells x 4 sizes, header first.
    expect(lines).toHaveLength(1 + 8);
    expect(lines[1]).toBe('boot,x86-tdp max=1g backing=4k prefault=none tlb=1536x12,16,40');
  });

  it('is not written when no cell has a curve', async () => {
    const cells = (await results()).map(({ tlbReach: _omit, ...c }) => c as CellResult);
    expect(tlbReachCsv(cells)).toBeUndefined();
  });
});
