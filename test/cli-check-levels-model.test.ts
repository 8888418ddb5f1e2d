/**
 * checkLevels (the comparison behind `mmubench check-levels`) on TDP-style
 * captures: fault lines are the accesses, kvmmmu events the kernel's levels.
 * Each case is a level the fault path must choose (docs kvm-mmu-reference:
 * kvm_mmu_hugepage_adjust, NX huge pages, no memslot).
 */
import { describe, expect, it } from 'vitest';
import { CaptureRecording, checkLevels, type LevelCheckRow } from '../src/cli/checkLevelsCommand.js';
import { parseMatrix, parseMemslots, type RawMatrixOptions } from '../src/replay/parseMatrix.js';
import { importFtrace } from '../src/trace/importers/ftraceImporter.js';
import { IMPORT_DEFAULTS } from '../src/trace/importers/importOptions.js';

const line = (time: number, event: string, fields: string): string => ` CPU 0/KVM-4242 [000] ...1 5.${String(time).padStart(6, '0')}: ${event}: ${fields}`;

async function compare(lines: string[], matrix: RawMatrixOptions, memslots: string[] = []): Promise<string[]> {
  const capture = new CaptureRecording();
  await importFtrace([{ name: 'cap', bytes: Buffer.from(lines.join('\n')) }], IMPORT_DEFAULTS, capture);
  const [scenario] = parseMatrix({ ...matrix, prefault: 'none' });
  const show = (r: LevelCheckRow): string => `0x${r.gfn.toString(16)} kernel ${r.kernelLevel} model ${r.modelLevel}`;
  return checkLevels(capture, scenario, parseMemslots(memslots)).map(show);
}

/** A write fault at 2 MiB and the kernel mapping it at 2M. */
const HUGE_WRITE = [
  line(1, 'kvm_page_fault', 'vcpu 0 rip 0x1000 address 0x0000000000200000 error_code 0x6'),
  line(2, 'kvm_mmu_spte_requested', 'gfn 200 pfn 40000 level 2'),
  line(3, 'kvm_mmu_set_spte', 'gfn 200 spte 80000000400008f7 (rwxu) level 2 at 15a9c7000'),
];

describe('checkLevels', () => {
  it('agrees with a 2M kernel mapping over THP (2m backing), one row per (GFN, level)', async () => {
    expect(await compare(HUGE_WRITE, { backing: '2m' })).toEqual(['0x200 kernel 2 model 2']);
  });

  it('differs when the host memory is 4K (anonymous, no THP): the model maps 4K', async () => {
    expect(await compare(HUGE_WRITE, { backing: '4k' })).toEqual(['0x200 kernel 2 model 1']);
  });

  it('an exec fault under NX huge pages maps 4K, as the kernel did; with NX off the model maps 2M', async () => {
    const exec = [
      line(1, 'kvm_page_fault', 'vcpu 0 rip 0x400000 address 0x0000000000400000 error_code 0x14'),
      line(2, 'kvm_mmu_set_spte', 'gfn 400 spte 4000e77 (r-xu) level 1 at 15a9c7000'),
    ];
    expect(await compare(exec, { backing: '2m', nxHugePages: 'on' })).toEqual(['0x400 kernel 1 model 1']);
    expect(await compare(exec, { backing: '2m', nxHugePages: 'off' })).toEqual(['0x400 kernel 1 model 2']);
  });

  it('a level event without a fault before it (a prefetched SPTE) takes a read fault in the model', async () => {
    expect(await compare([line(1, 'kvm_mmu_set_spte', 'gfn 600 spte 6000e77 (r-xu) level 1 at 15a9c7000')], { backing: '4k' })).toEqual([
      '0x600 kernel 1 model 1',
    ]);
  });

  it('a GFN outside every memslot has no model mapping (level 0: MMIO)', async () => {
    expect(await compare(HUGE_WRITE, { backing: '2m' }, ['0x40000000:0x40000000'])).toEqual(['0x200 kernel 2 model 0']);
  });
});
