/**
 * `--prefault-policy exact` returns what seed 002's KVM_MAP_MEMORY returns:
 * a step at a GPA with no memslot is -EFAULT (`kvm_mmu_map_page`:
 * `is_error_noslot_pfn`), and a call that made progress before a step
 * failed is -EAGAIN with the range left (`kvm_vcpu_map_memory`: `if (added
 * && mapping->nr_pages > 0) r = -EAGAIN`). Userspace calls again while it
 * gets -EAGAIN (the RFC's `map_memory_test.c`). Merged KVM (`upstream`)
 * returns 0 with the range left, then -ENOENT (`RET_PF_EMULATE`).
 * Every nonzero result counts in `prefault_errors`.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const MiB = 1 << 20;
// Slot A [0, 4M), a hole [4M, 8M), slot B [8M, 12M).
const SLOTS = [
  { gpa: 0, sizeBytes: 4 * MiB },
  { gpa: 8 * MiB, sizeBytes: 4 * MiB },
];
// [0x1ff000, 0x801000): 4 KiB + 2 MiB of slot A, the 4 MiB hole, 4 KiB of slot B.
const SPANS_HOLE = `${HEADER}0,PREFAULT,0x1ff000,0x602000\n`;
const calls = (r: Awaited<ReturnType<typeof replayText>>): number[][] => r.prefaultCalls.map((c) => [c.result, c.gpa, c.remainingBytes]);

describe('pre-fault errors under --prefault-policy exact (seed 002)', () => {
  it('a range spanning a hole: -EAGAIN after 4 KiB + 2 MiB, then -EFAULT at the hole; slot B is never reached', async () => {
    const r = await replayText(SPANS_HOLE, { backing: '2m', prefaultPolicy: 'exact' }, SLOTS);
    // Call 1: 0x1ff000 is not 2M-aligned (4K step), 0x200000 is and 2 MiB remain (2M step), 0x400000 has no
    // memslot: EFAULT after progress -> EAGAIN, 0x602000 - 0x201000 = 0x401000 left. Call 2 starts at the hole: EFAULT.
    expect(calls(r)).toEqual([
      [-11, 0x1ff000, 0x401000],
      [-14, 0x400000, 0x401000],
    ]);
    expect([r.total.prefault_calls, r.total.prefault_errors, r.total.prefault_pages]).toEqual([2, 2, 513]);
    expect([r.vm.pages_4k, r.vm.pages_2m]).toEqual([1, 1]);
  });

  it('upstream, the same range: 0 with the same bytes left, then -ENOENT; huge pages cover beyond the request', async () => {
    const r = await replayText(SPANS_HOLE, { backing: '2m' }, SLOTS);
    // 0x1ff000 maps the 2M page at 0 (512 frames, 511 outside the request), 0x200000 the next one; 0x400000: ENOENT.
    expect(calls(r)).toEqual([
      [0, 0x1ff000, 0x401000],
      [-2, 0x400000, 0x401000],
    ]);
    expect([r.total.prefault_calls, r.total.prefault_errors, r.total.prefault_pages]).toEqual([2, 1, 1024]);
    expect([r.vm.pages_4k, r.vm.pages_2m]).toEqual([0, 2]);
  });

  it('the selftest case under exact: the slot end straddled, -EAGAIN with 4 KiB left, then -EFAULT', async () => {
    const r = await replayText(`${HEADER}0,PREFAULT,0x3ff000,8192\n`, { backing: '4k', prefaultPolicy: 'exact' }, [SLOTS[0]]);
    expect(calls(r)).toEqual([
      [-11, 0x3ff000, 4096],
      [-14, 0x400000, 4096],
    ]);
    expect([r.total.prefault_pages, r.total.prefault_errors]).toEqual([1, 2]);
  });

  it('a hole at the start: one call, -EFAULT with nothing done', async () => {
    const r = await replayText(`${HEADER}0,PREFAULT,0x400000,0x1000\n`, { backing: '4k', prefaultPolicy: 'exact' }, SLOTS);
    expect(calls(r)).toEqual([[-14, 0x400000, 0x1000]]);
    expect([r.total.prefault_errors, r.total.prefault_pages]).toEqual([1, 0]);
  });

  it('a range inside slots: one call, 0, nothing left, no error', async () => {
    const r = await replayText(`${HEADER}0,PREFAULT,0x800000,0x3000\n`, { backing: '4k', prefaultPolicy: 'exact' }, SLOTS);
    expect(calls(r)).toEqual([[0, 0x800000, 0]]);
    expect([r.total.prefault_errors, r.total.prefault_pages, r.vm.pages_4k]).toEqual([0, 3, 3]);
  });

  it('partial progress into a read-only slot with --prefault-flags write: -EAGAIN after 2 pages, then -EFAULT', async () => {
    // Slot A [0, 8K) writable, slot B [8K, 16K) read-only: a WRITE step there is KVM_PFN_ERR_RO_FAULT, an error pfn.
    const slots = [
      { gpa: 0, sizeBytes: 0x2000 },
      { gpa: 0x2000, sizeBytes: 0x2000, readOnly: true },
    ];
    const csv = `${HEADER}0,PREFAULT,0x0,0x4000\n`;
    const exact = await replayText(csv, { backing: '4k', prefaultPolicy: 'exact', prefaultFlags: 'write' }, slots);
    expect(calls(exact)).toEqual([
      [-11, 0x0, 0x2000],
      [-14, 0x2000, 0x2000],
    ]);
    expect([exact.total.prefault_errors, exact.total.prefault_pages]).toEqual([2, 2]);
    // Merged KVM's answers for the same fault (RET_PF_EMULATE): 0 with 8 KiB left, then -ENOENT.
    const upstream = await replayText(csv, { backing: '4k', prefaultFlags: 'write' }, slots);
    expect(calls(upstream)).toEqual([
      [0, 0x0, 0x2000],
      [-2, 0x2000, 0x2000],
    ]);
    expect([upstream.total.prefault_errors, upstream.total.prefault_pages]).toEqual([1, 2]);
  });
});
