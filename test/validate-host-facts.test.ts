/** Host detection for `validate`, on fake sysfs trees (pure: no KVM needed). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostMode, nxHugePagesOn, readHostFacts } from '../src/validate/hostFacts.js';

let roots: string[] = [];
afterEach(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
  roots = [];
});

/** A fake root with the given files (path relative to the root → content). */
function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'mmubench-host-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('host facts', () => {
  it('this kind of host: kvm_pvm loaded, tdp_mmu N → shadow paging', () => {
    const root = fakeRoot({
      'dev/kvm': '',
      'sys/module/kvm/parameters/tdp_mmu': 'N\n',
      'sys/module/kvm/parameters/nx_huge_pages': 'N\n',
      'sys/module/kvm/parameters/eager_page_split': 'Y\n',
      'sys/module/kvm_pvm/parameters/stats': '0\n',
      'sys/kernel/mm/transparent_hugepage/enabled': 'always [madvise] never\n',
      'sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages': '8\n',
      'sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages': '6\n',
    });
    const facts = readHostFacts(root);
    expect(facts.kvmDevice).toBe('ok');
    expect(facts.pvm).toBe(true);
    expect(facts.tdpMmu).toBe(false);
    expect(facts.thp).toBe('madvise');
    expect(facts.hugetlb2m).toEqual({ total: 8, free: 6 });
    expect(facts.hugetlb1g).toEqual({ total: 0, free: 0 });
    expect(hostMode(facts)).toBe('shadow');
    expect(nxHugePagesOn(facts)).toBe(false);
  });

  it('kvm_intel with ept Y → TDP', () => {
    const root = fakeRoot({
      'dev/kvm': '',
      'sys/module/kvm/parameters/tdp_mmu': 'Y',
      'sys/module/kvm_intel/parameters/ept': 'Y',
      'sys/module/kvm/parameters/nx_huge_pages': 'force',
    });
    const facts = readHostFacts(root);
    expect(hostMode(facts)).toBe('tdp');
    expect(nxHugePagesOn(facts)).toBe(true);
  });

  it('kvm_amd with npt 0 → shadow; no /dev/kvm → missing', () => {
    const facts = readHostFacts(fakeRoot({ 'sys/module/kvm_amd/parameters/npt': '0' }));
    expect(hostMode(facts)).toBe('shadow');
    expect(facts.kvmDevice).toBe('missing');
  });
});
