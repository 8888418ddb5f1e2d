/**
 * The verdict (src/report/verdict.ts) on the fixed run, hand-checked: the
 * fixture prices a 4K fault at 1000 ns and a 4K pre-fault step at 100 ns.
 */
import { describe, expect, it } from 'vitest';
import { reachKnee, verdict, type VerdictPart } from '../src/report/verdict.js';
import type { CellResult } from '../src/replay/results.js';
import { fixtureRun } from './helpers/reportFixture.js';

const text = (parts: readonly VerdictPart[]): string => parts.map((p) => ('scenario' in p ? `[${p.scenario}]` : p.text)).join('');

async function results(): Promise<CellResult[]> {
  return (await fixtureRun()).outcomes.flatMap((o) => (o.ok ? [o.result] : []));
}

describe('verdict', () => {
  it('boot: every fault saved, at a pre-fault price that exceeds the saving', async () => {
    const [boot] = verdict(await results());
    expect(boot.trace).toBe('boot');
    const lines = Object.fromEntries(boot.lines.map((l) => [l.question, text(l.parts)]));
    // 4 faults saved x 1000 ns = 0.004 ms; pre-fault: 1024 frames x 100 ns = 0.1024 ms, net 0.004 - 0.1024 = -0.0984 ms;
    // of the 1024 frames pre-faulted, the trace touches 4: 1020 frames = 3.98 MiB never touched.
    expect(lines['Faults saved by pre-fault']).toBe('4 of 4 (100.0%, ≈0.004 ms) [prefault=all]');
    expect(lines['Pre-fault up-front cost']).toBe('0.1 ms up front, net −0.098 ms, 4.0 MiB never touched [prefault=all]');
    expect(lines['Huge-page coverage']).toBe('0.0% in every scenario');
    // FIXTURE_REACH: 40, 20, 5, 5 misses at 16..128 entries: within 5% of 5 from 64 entries on.
    expect(lines['TLB misses']).toBe('4 in every scenario; a fully associative TLB levels off at 64 entries there');
  });

  it('pre-fault cost leaves the memory never touched out for a cell without prefault_pages_unused (an older run.json)', async () => {
    const cells = await results();
    const withoutUnused = cells.map((c) => {
      const { prefault_pages_unused: _dropped, ...vm } = c.vm;
      return { ...c, vm: vm as CellResult['vm'] };
    });
    const line = verdict(withoutUnused)[0].lines.find((l) => l.question === 'Pre-fault up-front cost')!;
    expect(text(line.parts)).toBe('0.1 ms up front, net −0.098 ms [prefault=all]');
  });

  it('names the best and worst scenario when they differ', async () => {
    const cells = await results();
    // unmap with prefault=none: 3 faults (0.003 ms) + walks; with prefault=all: 1 fault + 0.1024 ms of pre-fault.
    const unmap = verdict(cells)[1];
    const time = text(unmap.lines.find((l) => l.question === 'Estimated stage-2 time')!.parts);
    expect(time).toMatch(/^best 0\.\d+ ms \[prefault=none\], worst 0\.1 ms \[prefault=all\]$/);
    expect(text(unmap.lines.find((l) => l.question === 'Flush collateral')!.parts)).toBe('1 entries (1 refill misses) in every scenario');
  });

  it('the knee of a reach curve; none without a curve', () => {
    expect(reachKnee({ entries: [16, 32, 64], misses: [100, 104, 100] })).toBe(16);
    expect(reachKnee({ entries: [16, 32, 64], misses: [300, 106, 100] })).toBe(64);
    expect(reachKnee(undefined)).toBeUndefined();
  });
});
