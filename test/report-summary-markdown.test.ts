/**
 * summary.md exporter: the CI-comment table on the fixed run of
 * test/helpers/reportFixture.ts (numbers hand-checked there).
 */
import { describe, expect, it } from 'vitest';
import { summaryMarkdown } from '../src/report/summaryMarkdown.js';
import { fixtureRun } from './helpers/reportFixture.js';

describe('summary.md', () => {
  it('matches the snapshot for the fixed run', async () => {
    expect(summaryMarkdown(await fixtureRun())).toMatchSnapshot();
  });

  it('gives per trace the faults without and with pre-population, the change, coverage, TLB misses and flush cost', async () => {
    const lines = summaryMarkdown(await fixtureRun()).split('\n');
    expect(lines).toContain(
      '| Trace | Faults prefault=none | Faults prefault=all | all vs none | Huge pages | TLB misses | TLB entries flushed | Refill misses | Est. stage-2 ms |',
    );
    // boot: 4 distinct pages -> 4 faults, none with prefault=all; 4 TLB misses either way (cold TLB).
    // Est. (FIXTURE_COSTS): none 4 x 1000 + 16 walk refs x 10 = 4160 ns = 0.004 ms;
    // all: 1024 pre-fault frames x 100 + 160 = 102560 ns = 0.1 ms.
    expect(lines).toContain('| boot | 4 | 0 | -100.0% | 0.0% | 4 | 0 | 0 | 0.004 → 0.1 |');
    // unmap: 3 faults vs 1 (-66.7%); one full flush: 2 entries, 1 refill miss, in both cells.
    expect(lines).toContain('| unmap | 3 | 1 | -66.7% | 0.0% | 4 | 2 | 1 | 0.005 → 0.1 |');
  });

  it('lists each failed cell with its error kind and message (markup escaped)', async () => {
    const run = await fixtureRun();
    const text = summaryMarkdown(run);
    expect(text).toContain('## Failed cells (1)');
    expect(text).toContain(
      '- huge &lt;trace&gt; / x86-tdp max=1g backing=4k prefault=none tlb=1536x12: **timeout**: cell took longer than --timeout 5 s & was stopped',
    );
    expect(text.split('\n')[2]).toBe('5 cells (4 ok, 1 failed), 3 traces × 2 scenarios · mmubench 0.1.0 · started 2026-11-23T10:00:00.000Z · 1.2 s');
  });

  it('shows differing per-cell values as "none → all" and a scenario column with several base scenarios', async () => {
    const run = await fixtureRun();
    const cells = run.outcomes.flatMap((o) => (o.ok ? [o.result] : []));
    // A second base scenario (max=2m) for boot, with a made-up coverage: 2 huge pages next to 4 small ones.
    const twin = (i: number) => ({
      ...cells[i],
      scenario: { ...cells[i].scenario, name: cells[i].scenario.name.replace('max=1g', 'max=2m') },
      vm: { ...cells[i].vm, pages_2m: i === 1 ? 2 : 0 },
    });
    const text = summaryMarkdown({ ...run, outcomes: [...run.outcomes, { ok: true, result: twin(0) }, { ok: true, result: twin(1) }] });
    const lines = text.split('\n');
    expect(lines).toContain(
      '| Trace | Scenario | Faults prefault=none | Faults prefault=all | all vs none | Huge pages | TLB misses | TLB entries flushed | Refill misses | Est. stage-2 ms |',
    );
    expect(lines).toContain('| boot | max=1g | 4 | 0 | -100.0% | 0.0% | 4 | 0 | 0 | 0.004 → 0.1 |');
    // prefault=all twin: 1024 4K pages (4 MiB) + 2 x 2 MiB = 4 MiB huge of 8 MiB -> 50.0%.
    expect(lines).toContain('| boot | max=2m | 4 | 0 | -100.0% | 0.0% → 50.0% | 4 | 0 | 0 | 0.004 → 0.1 |');
  });
});
