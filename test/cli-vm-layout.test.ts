/**
 * `--vm FILE` layouts that KVM would refuse: exit 2, one message naming the
 * file and the slot, no report.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectBadInput, fixture, runCli, tempDir } from './helpers/runCli.js';

const trace = fixture('tiny-valid.csv');

/** Write `layout` as JSON and run `run` with it and `flags`. */
function runWithLayout(layout: unknown, flags: string[] = []) {
  const dir = tempDir();
  const vm = join(dir, 'vm.json');
  writeFileSync(vm, JSON.stringify(layout));
  const out = join(dir, 'out');
  return { vm, out, result: runCli(['run', trace, '--out', out, '-q', '--vm', vm, ...flags]) };
}

const slot = (over: object) => ({ gpa: '0x0', size: '0x40000000', ...over });

/** The run.json fields of a cell this file reads. */
interface StoredCell {
  scenario: { prefault: { kind: string } };
  total: { faults: number; prefault_pages: number };
  vm: { pages_4k: number; pages_2m: number };
}

describe('--vm layouts KVM refuses', () => {
  it('overlapping memslots', () => {
    const { vm, out, result } = runWithLayout({ memslots: [slot({}), slot({ gpa: '0x20000000', size: '0x1000' })] });
    expectBadInput(result, out, `${vm}: memslots[1]: overlaps memslots[0]`);
  });

  it('a copy-on-write PFNMAP memslot on arm64 with --cow-pfnmap refuse', () => {
    const { vm, out, result } = runWithLayout({ memslots: [slot({ pfnmap: 'cow' })] }, ['--arch', 'arm64', '--cow-pfnmap', 'refuse']);
    expectBadInput(result, out, `${vm}: memslots[0]: memslot 0: a copy-on-write VM_PFNMAP mapping cannot back a memslot`, 'prefix');
  });

  it('cacheable device memory without FWB on arm64', () => {
    const { vm, out, result } = runWithLayout({ memslots: [slot({ pfnmap: 'normal' })], fwb: 'off' }, ['--arch', 'arm64']);
    expectBadInput(
      result,
      out,
      `${vm}: memslots[0]: memslot 0: cacheable device memory (PFNMAP, Normal memory type) needs stage-2 FWB and CACHE DIC (kvm_supports_cacheable_pfnmap); use --fwb on --dic on or a Device memory type (arch arm64)`,
    );
  });

  it('a memslot reaching the stolen bit used by x86-tdx', () => {
    const { vm, out, result } = runWithLayout({ memslots: [slot({ gpa: '0x7fffc0000000', size: '0x80000000' })] }, ['--arch', 'x86-tdx']);
    expectBadInput(result, out, `${vm}: memslots[0]: memslot 0 reaches GPA bit 47, a stolen bit (arch x86-tdx)`);
  });

  it('an unknown arch', () => {
    const { out, result } = runWithLayout({ memslots: [slot({})] }, ['--arch', 'riscv']);
    expectBadInput(result, out, '--arch: "riscv" is not one of x86-tdp, x86-tdx, arm64, pkvm, pkvm-pmd');
  });

  it('an unknown key in a memslot', () => {
    const { vm, out, result } = runWithLayout({ memslots: [slot({ huge: true })] });
    expectBadInput(result, out, `${vm}: memslots[0].huge: unknown key (expected id, gpa, size, backing, hvaOffset, readOnly, dirtyLogging, private, pfnmap)`);
  });

  it("a valid layout runs, with its slot's own backing", () => {
    // tiny-valid.csv touches 0x1000 and 0x3000 (vCPU 0) and 0x200000 (vCPU 1). Under the default
    // --backing 2m that is two 2M pages (2 faults; pre-faulting the 1 GiB slot maps 512 of them).
    // The layout's one slot is 4k-backed, so each access faults in its own 4K page (3 faults, 3
    // pages_4k, no 2M page), and pre-faulting maps all 262144 4K pages of the slot with no fault left.
    const { out, result } = runWithLayout({ memslots: [slot({ backing: '4k', readOnly: false })] });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const cells: StoredCell[] = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).cells;
    expect(cells.map((c) => [c.scenario.prefault.kind, c.total.faults, c.total.prefault_pages, c.vm.pages_4k, c.vm.pages_2m])).toEqual([
      ['none', 3, 0, 3, 0],
      ['all', 0, 262144, 262144, 0],
    ]);
  });
});
