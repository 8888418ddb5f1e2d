/**
 * The ftrace importer on the real capture of ../shared/fixtures (copied to
 * test/fixtures): a shadow-paging host where kvm_page_fault does not fire, so
 * `auto` takes the accesses from the SPTE events. The guest wrote once to each
 * of 300 pages listed in ftrace-kvmmmu-shadow-4k.trace.csv; the import must
 * give exactly those GPAs, in that order.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OP_NAMES, type Op } from '../src/trace/ops.js';
import { importFtrace } from '../src/trace/importers/ftraceImporter.js';
import { IMPORT_DEFAULTS, type ImportOptions } from '../src/trace/importers/importOptions.js';
import type { ImportSink } from '../src/trace/importers/importTypes.js';
import { fixture } from './helpers/runCli.js';

const capture = { name: 'ftrace-kvmmmu-shadow-4k.txt', path: fixture('ftrace-kvmmmu-shadow-4k.txt') };

async function importCapture(options: Partial<ImportOptions>) {
  const rows: string[] = [];
  const times: number[] = [];
  const levels: string[] = [];
  const sink: ImportSink = {
    access(op: Op, vcpu, gpa, _size, _input, line, timeNs) {
      rows.push(`${vcpu},${OP_NAMES[op]},0x${gpa.toString(16)}`);
      times.push(timeNs);
      void line;
    },
    level(gfn, level, event) {
      levels.push(`${event} 0x${gfn.toString(16)} ${level}`);
    },
  };
  const summary = await importFtrace([capture], { ...IMPORT_DEFAULTS, ...options }, sink);
  return { rows, times, levels, summary };
}

describe('ftrace importer: real kvmmmu capture (shadow paging, 300 written pages)', () => {
  it('gives exactly the GPAs the guest wrote, in order, with --gpa-below 1 GiB (the guest code slot left out)', async () => {
    const expected = readFileSync(fixture('ftrace-kvmmmu-shadow-4k.trace.csv'), 'utf8').trim().split('\n').slice(1);
    const { rows, times, summary } = await importCapture({ gpaBelow: 0x40000000 });
    expect(expected).toHaveLength(300);
    expect(rows).toEqual(expected);
    // Times: ns since the first row (2839.029148); the next rows at 2839.029197 and 2839.029243.
    expect(times.slice(0, 3)).toEqual([0, 49000, 95000]);
    expect(times[299]).toBe(17122000);
    expect(summary.lines).toBe(2723);
    expect(summary.levelEvents).toBe(600);
    expect(summary.skipped).toEqual([
      { reason: 'comment', count: 12, bad: false },
      { reason: 'event not imported: kvm_mmu_pagetable_walk', count: 1505, bad: false },
      { reason: 'event not imported: kvm_mmu_set_accessed_bit', count: 452, bad: false },
      { reason: 'GPA at or above --gpa-below', count: 2, bad: false },
      { reason: 'event not imported: kvm_mmu_prepare_zap_page', count: 152, bad: false },
    ]);
    expect(summary.mapping[0]).toBe(
      'accesses: sptes (auto: the input has no kvm_page_fault/kvm_guest_fault line): one W at the first byte of each GFN, at its first kvm_mmu_spte_requested or kvm_mmu_set_spte',
    );
  });

  it('passes every spte_requested and set_spte level on: 300 pages x 2 events, all at level 1 (4K)', async () => {
    const { levels } = await importCapture({ gpaBelow: 0x40000000 });
    expect(levels.slice(0, 2)).toEqual(['kvm_mmu_spte_requested 0xe79f 1', 'kvm_mmu_set_spte 0xe79f 1']);
    expect(levels.filter((l) => l.endsWith(' 1'))).toHaveLength(600);
  });

  it('without --gpa-below keeps the guest code page 0x40000 too, as the first row', async () => {
    const { rows, summary } = await importCapture({});
    expect(rows.slice(0, 2)).toEqual(['0,W,0x40000000', '0,W,0xe79f000']);
    expect(summary.rows).toBe(301);
  });

  it('--ftrace-accesses faults finds no access (kvm_page_fault does not fire in shadow mode)', async () => {
    const { rows, levels } = await importCapture({ ftraceAccesses: 'faults' });
    expect(rows).toEqual([]);
    expect(levels).toHaveLength(602);
  });
});
