/**
 * docs/model.md "Worked examples", held to the code: each table of the
 * section is read from the document and replayed row by row (issue 13: "run
 * the worked examples in a test"), so a model change that moves a number
 * fails here until the document says the new one. The arm64 and pKVM
 * examples have their own tests (mmu-arm64-worked-example,
 * mmu-pkvm-worked-example).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATOR_DEFAULTS, generateTrace } from '../src/trace/generators.js';
import { parseMatrix, type RawMatrixOptions } from '../src/replay/parseMatrix.js';
import { replayCell } from '../src/replay/replayCell.js';
import type { CellResult } from '../src/replay/results.js';
import { replayText, traceFromText } from './helpers/traceFromText.js';

const MODEL = readFileSync(new URL('../docs/model.md', import.meta.url), 'utf8');
const TRACE_FORMAT = readFileSync(new URL('../docs/trace-format.md', import.meta.url), 'utf8');

/** The body rows (cells trimmed) of the first Markdown table after `heading` whose header starts with `firstColumn`. */
function tableAfter(heading: string, firstColumn: string): string[][] {
  const start = MODEL.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const lines = MODEL.slice(start).split('\n');
  const head = lines.findIndex((line) => line.startsWith(`| ${firstColumn} |`));
  expect(head, `${heading}: table starting "${firstColumn}"`).toBeGreaterThan(0);
  const rows: string[][] = [];
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** `--max-level 2m --backing 2m` (the backticked part of a flags cell) as matrix options. */
function flagsOf(cell: string): RawMatrixOptions {
  const text = /`([^`]*)`/.exec(cell)?.[1] ?? '';
  const words = text.split(/\s+/).filter(Boolean);
  const options: Record<string, string> = {};
  for (let i = 0; i < words.length; i += 2) {
    const key = words[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    options[key] = words[i + 1];
  }
  return options as RawMatrixOptions;
}

const csvOf = (kind: 'boot' | 'random', accesses: number, extra: { memoryBytes?: number; seed?: number } = {}): string =>
  `${[...generateTrace({ ...GENERATOR_DEFAULTS, kind, accesses, ...extra })].join('\n')}\n`;

const slashPair = (cell: string): number[] => cell.split('/').map((part) => Number(part.trim()));

describe('docs/model.md worked examples', () => {
  it('1000 sequential 4 KiB writes: every row of the table', async () => {
    const csv = csvOf('boot', 1000);
    const rows = tableAfter('### 1000 sequential 4 KiB writes', 'flags');
    expect(rows).toHaveLength(5);
    for (const [flags, faults, hitsMisses, walkRefs, prefault, pages4k, pages2m, pages1g, mmuPages] of rows) {
      const r = await replayText(csv, flagsOf(flags));
      const got = [r.total.faults, r.total.tlb_hits, r.total.tlb_misses, r.total.walk_refs, r.total.prefault_calls, r.total.prefault_pages];
      got.push(r.vm.pages_4k, r.vm.pages_2m, r.vm.pages_1g, r.vm.mmu_pages);
      const want = [Number(faults), ...slashPair(hitsMisses), Number(walkRefs), ...slashPair(prefault), Number(pages4k), Number(pages2m), Number(pages1g)];
      want.push(Number(mmuPages));
      expect(got, flags).toEqual(want);
    }
  });

  it('dirty logging, pre-fault and UNMAP: the result line and every policy of the table', async () => {
    const csv = /## A complete example\n\n```csv\n([\s\S]*?)```/.exec(TRACE_FORMAT)?.[1];
    expect(csv).toBeDefined();
    const defaults: CellResult = await replayText(csv!);
    // The "Result, `all` row" sentence under the row-by-row table.
    const t = defaults.total;
    expect([t.accesses, t.faults, t.faults_missing, t.faults_permission, t.tlb_hits, t.tlb_misses, t.walk_refs, t.tlb_flushes]).toEqual([
      6, 4, 3, 1, 1, 5, 17, 6,
    ]);
    expect([t.prefault_calls, t.prefault_pages, defaults.vm.flushes_full, defaults.vm.flush_ipis]).toEqual([1, 512, 3, 6]);
    const rows = tableAfter('Other policies on the same trace', 'flags');
    expect(rows).toHaveLength(4);
    for (const [flags, pages4k, pages2m, mmuPages, flushRequests, entriesFlushed] of rows) {
      const r = flags === '(defaults)' ? defaults : await replayText(csv!, flagsOf(flags));
      const got = [r.vm.pages_4k, r.vm.pages_2m, r.vm.mmu_pages, r.vm.flush_requests, r.vm.tlb_entries_flushed];
      expect(got, flags).toEqual([pages4k, pages2m, mmuPages, flushRequests, entriesFlushed].map(Number));
      // "The faults are the same in all four (3 missing, 1 permission)."
      expect([r.total.faults_missing, r.total.faults_permission], flags).toEqual([3, 1]);
    }
  });

  it('TLB geometries and paging-structure caches: every row, PWC off and on', async () => {
    const trace = await traceFromText(csvOf('random', 20000, { memoryBytes: 0x10000000, seed: 7 }));
    // 20000 accesses: replayed without replayText's TLB-coherence check after every event (minutes here).
    const replay = (matrix: RawMatrixOptions): CellResult =>
      replayCell(trace, parseMatrix({ prefault: 'none', ...matrix })[0], { memslots: [], defaultSlotAlignBytes: 1 << 30 });
    const rows = tableAfter('### TLB geometries and paging-structure caches', 'backing');
    expect(rows).toHaveLength(6);
    for (const [backing, tlbCell, hits, misses, l1Misses, l2Misses, walkOff, walkOn] of rows) {
      const tlb = tlbCell.replace(/`/g, '');
      const off = replay({ backing, tlb, pwc: 'off' });
      const on = replay({ backing, tlb, pwc: 'on' });
      const got = [off.total.tlb_hits, off.total.tlb_misses, off.total.l1_misses, off.total.l2_misses, off.total.walk_refs, on.total.walk_refs];
      expect(got, `${backing} ${tlb}`).toEqual([hits, misses, l1Misses, l2Misses, walkOff, walkOn].map(Number));
      // "Faults do not depend on the TLB: 17219 on 4k, 128 on 2m."
      expect(off.total.faults).toBe(backing === '4k' ? 17219 : 128);
    }
  });
});
