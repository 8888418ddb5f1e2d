/**
 * Model versus the real KVM, 2 MiB pages backed by THP and by hugetlbfs:
 * faults fixed and pages by level agree exactly. Skips, saying why, without
 * /dev/kvm or the runner, with THP "never", or with fewer than 4 free
 * hugetlbfs 2 MiB pages (echo 4 > /proc/sys/vm/nr_hugepages).
 */
import { describe, expect, it } from 'vitest';
import { readHostFacts } from '../src/validate/hostFacts.js';
import { row, validateRows, values } from './helpers/validateRows.js';
import { KVM, announceKvmSkip } from './helpers/kvmAvailability.js';

announceKvmSkip('validate-kvm-2m');
const facts = readHostFacts();
const thp = KVM.ok && facts.thp !== undefined && facts.thp !== 'never';
const hugetlb = KVM.ok && facts.hugetlb2m.free >= 4;
if (KVM.ok && !thp) console.warn(`validate-kvm-2m: skipping the THP tests: transparent huge pages are ${facts.thp ?? 'absent'}`);
if (KVM.ok && !hugetlb)
  console.warn(`validate-kvm-2m: skipping the hugetlbfs tests: ${facts.hugetlb2m.free} free 2 MiB huge pages, 4 needed (echo 4 > /proc/sys/vm/nr_hugepages)`);

const PAGE = 4096;
const M2 = 2 * 1024 * 1024;
const FLAGS = { backing: '2m', maxLevel: '2m' };
// Three 2 MiB regions touched: 0 (pages 1, 2, X on 5), 1 (a write at its last page), 3 (twice).
const ROWS = [
  row(0, 'R', 1 * PAGE),
  row(0, 'W', 2 * PAGE),
  row(0, 'X', 5 * PAGE),
  row(0, 'W', M2 + 511 * PAGE),
  row(0, 'R', 3 * M2 + 8),
  row(0, 'R', 3 * M2 + 100 * PAGE),
];

describe.skipIf(!thp)('validate on /dev/kvm, 2 MiB THP', () => {
  it('one pf_fixed and one pages_2m per 2 MiB region touched, no 4K mapping', async () => {
    const r = await validateRows(ROWS, FLAGS);
    expect(values(r, 'pf_fixed')).toEqual([3, 3]);
    expect(values(r, 'pages_2m')).toEqual([3, 3]);
    expect(values(r, 'pages_4k')).toEqual([0, 0]);
    expect(r.agree).toBe(true);
  });

  it('--max-level 4k on THP: the guest maps 4K pages, so 4K mappings on both sides', async () => {
    const r = await validateRows(ROWS, { backing: '2m', maxLevel: '4k' });
    expect(values(r, 'pf_fixed')).toEqual([6, 6]); // six distinct 4 KiB pages
    expect(values(r, 'pages_4k')).toEqual([6, 6]);
    expect(values(r, 'pages_2m')).toEqual([0, 0]);
    expect(r.agree).toBe(true);
  });
});

describe.skipIf(!hugetlb)('validate on /dev/kvm, 2 MiB hugetlbfs', () => {
  it('one pf_fixed and one pages_2m per 2 MiB region touched', async () => {
    const r = await validateRows(ROWS, FLAGS, ['0x0:0x800000'], 'hugetlbfs');
    expect(r.hostBacking).toBe('hugetlb-2m');
    expect(values(r, 'pf_fixed')).toEqual([3, 3]);
    expect(values(r, 'pages_2m')).toEqual([3, 3]);
    expect(values(r, 'pages_4k')).toEqual([0, 0]);
    expect(r.agree).toBe(true);
  });
});
