/**
 * `--vm FILE` layouts that KVM would refuse: exit 2, one message naming the
 * file and the slot, no report.
 */
import { writeFileSync } from 'node:fs';
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

describe('--vm layouts KVM refuses', () => {
  it('overlapping memslots', () => {
    const { vm, out, result } = runWithLayout({ memslots: [slot({}), slot({ gpa: '0x20000000', size: '0x1000' })] });
    expectBadInput(result, out, `${vm}: memslots[1]: overlaps memslots[0]`);
  });

  it('a copy-on-write PFNMAP memslot on arm64', () => {
    const { vm, out, result } = runWithLayout({ memslots: [slot({ pfnmap: 'cow' })] }, ['--arch', 'arm64']);
    expectBadInput(result, out, `${vm}: memslots[0]: memslot 0: a copy-on-write VM_PFNMAP mapping cannot back a memslot`, 'prefix');
  });

  it('cacheable device memory without FWB on arm64', () => {
    const { vm, out, result } = runWithLayout({ memslots: [slot({ pfnmap: 'normal' })], fwb: 'off' }, ['--arch', 'arm64']);
    expectBadInput(
      result,
      out,
      `${vm}: memslots[0]: memslot 0: cacheable device memory (PFNMAP, Normal memory type) needs stage-2 FWB; use --fwb on or a Device memory type (arch arm64)`,
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

  it('a valid layout runs', () => {
    const { out, result } = runWithLayout({ memslots: [slot({ backing: '4k', readOnly: false })] });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(out).toBeTruthy();
  });
});
