/**
 * Model versus the real KVM (native/kvm-runner on /dev/kvm), 4 KiB pages:
 * faults fixed and pages by level agree exactly. Skips, saying why, where
 * /dev/kvm or the runner is missing.
 */
import { describe, expect, it } from 'vitest';
import { Prng } from '../src/trace/prng.js';
import { readHostFacts } from '../src/validate/hostFacts.js';
import { row, validateRows, values } from './helpers/validateRows.js';
import { KVM, announceKvmSkip } from './helpers/kvmAvailability.js';

announceKvmSkip('validate-kvm-4k');

const K4 = { backing: '4k', maxLevel: '4k' };
const PAGE = 4096;

describe.skipIf(!KVM.ok)('validate on /dev/kvm, 4 KiB pages', () => {
  it('sequential: 64 pages read once each → 64 pf_fixed, 64 pages_4k, both sides', async () => {
    const rows = Array.from({ length: 64 }, (_, i) => row(0, 'R', 0x100000 + i * PAGE));
    const r = await validateRows(rows, K4);
    expect(values(r, 'pf_fixed')).toEqual([64, 64]);
    expect(values(r, 'pages_4k')).toEqual([64, 64]);
    expect(values(r, 'pages_2m')).toEqual([0, 0]);
    // PDPT, PD and one page table below the root.
    expect(values(r, 'mmu_cache_miss')).toEqual([3, 3]);
    expect(r.agree).toBe(true);
  });

  it('random: 300 seeded accesses over 64 MiB → one fault per distinct page, both sides', async () => {
    const prng = new Prng(9);
    const pages = Array.from({ length: 300 }, () => prng.nextInt(16384));
    const rows = pages.map((p, i) => row(0, i % 3 === 0 ? 'W' : 'R', p * PAGE + 64));
    const distinct = new Set(pages).size;
    expect(distinct).toBe(299); // one page drawn twice (seed 9)
    const r = await validateRows(rows, K4);
    expect(values(r, 'pf_fixed')).toEqual([distinct, distinct]);
    expect(values(r, 'pages_4k')).toEqual([distinct, distinct]);
    expect(r.agree).toBe(true);
  });

  it('two vCPUs: a page mapped by one vCPU does not fault on the other', async () => {
    // vCPU 0 maps pages 1, 2; vCPU 1 touches 1 (mapped), 3 (new), X on 5 (new); vCPU 0 writes 3 (mapped).
    const rows = [row(0, 'R', 1 * PAGE), row(0, 'W', 2 * PAGE), row(1, 'R', 1 * PAGE), row(1, 'W', 3 * PAGE), row(1, 'X', 5 * PAGE), row(0, 'W', 3 * PAGE)];
    const r = await validateRows(rows, K4);
    expect(values(r, 'pf_fixed')).toEqual([4, 4]);
    expect(values(r, 'pf_taken')).toEqual([4, 4]);
    expect(values(r, 'pages_4k')).toEqual([4, 4]);
    expect(r.agree).toBe(true);
  });

  it('re-touch: the second pass over 16 pages takes no fault; an UNMAP of 4 of them gives 4 more', async () => {
    const pass = Array.from({ length: 16 }, (_, i) => row(0, 'W', 0x200000 + i * PAGE));
    const rows = [...pass, ...pass, row(0, 'UNMAP', 0x200000, 4 * PAGE), ...pass];
    const r = await validateRows(rows, K4);
    expect(values(r, 'pf_fixed')).toEqual([20, 20]);
    expect(values(r, 'pages_4k')).toEqual([16, 16]);
    expect(r.agree).toBe(true);
  });

  it('a range spanning 3 pages faults 3 times; an access to a GPA without a memslot is an MMIO exit', async () => {
    const rows = [row(0, 'R', 0x1ff0, 2 * PAGE), row(0, 'R', 0x500000), row(0, 'W', 0x500000)];
    const r = await validateRows(rows, K4, ['0x0:0x400000']);
    expect(values(r, 'pf_fixed')).toEqual([3, 3]);
    expect(values(r, 'pf_emulate')[0]).toBe(2);
    // With mmio_caching the second access takes the MMIO SPTE path, uncounted (an explained row).
    if (!readHostFacts().mmioCaching) expect(values(r, 'pf_emulate')[1]).toBe(2);
    expect(r.agree).toBe(true);
  });
});
