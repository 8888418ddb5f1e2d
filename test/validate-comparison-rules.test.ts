/** The comparison rules of `validate` (pure: no KVM needed). */
import { describe, expect, it } from 'vitest';
import { allAgree, compareCounters, NOTES, type CompareContext } from '../src/validate/compareCounters.js';
import type { KernelCounters } from '../src/validate/runnerOutput.js';
import { accessRows, replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size,x_slot\n';
const KERNEL_ZERO: KernelCounters = {
  pf_taken: 0,
  pf_fixed: 0,
  pf_spurious: 0,
  pf_fast: 0,
  pf_emulate: 0,
  pf_mmio_spte_created: 0,
  pages_4k: 0,
  pages_2m: 0,
  pages_1g: 0,
  mmu_cache_miss: 0,
  remote_tlb_flush_requests: 0,
  remote_tlb_flush: 0,
  nx_lpage_splits: 0,
};
const SHADOW_4K: CompareContext = {
  mode: 'shadow',
  tdpMmu: false,
  mmioCaching: false,
  dirtyLogging: false,
  guestPageBytes: 4096,
  guestPageAskedBytes: 4096,
  hostPageBytes: 4096,
  hostHugeBytes: 0,
  nxMismatch: false,
};
const row = (rows: ReturnType<typeof compareCounters>, kernel: string) => rows.find((r) => r.kernel === kernel)!;

describe('validate comparison rules', () => {
  // Three distinct 4 KiB pages in two 2 MiB regions: faults_missing 3, pages_4k 3, mmu_pages 4 (PDPT, PD, 2 PTs).
  const trace = 'vcpu,op,gpa,size\n' + accessRows('R', [0x1000, 0x2000, 0x1000, 0x203000]) + '\n';

  it('equal counts agree; the flush requests of shadow paging are an explained difference', async () => {
    const model = await replayText(trace, { backing: '4k', maxLevel: '4k' });
    const kernel = { ...KERNEL_ZERO, pf_taken: 3, pf_fixed: 3, pages_4k: 3, mmu_cache_miss: 4, remote_tlb_flush_requests: 4 };
    const rows = compareCounters(model, kernel, SHADOW_4K, [], [], []);
    expect(row(rows, 'pf_fixed')).toMatchObject({ modelValue: 3, kernelValue: 3, status: 'agree' });
    expect(row(rows, 'pages_4k')).toMatchObject({ modelValue: 3, kernelValue: 3, status: 'agree' });
    expect(row(rows, 'remote_tlb_flush_requests')).toMatchObject({ modelValue: 0, kernelValue: 4, status: 'explained', note: NOTES.shadowFlush });
    expect(allAgree(rows)).toBe(true);
  });

  it('one more pf_fixed than the model predicts is a difference that fails the run', async () => {
    const model = await replayText(trace, { backing: '4k', maxLevel: '4k' });
    const kernel = { ...KERNEL_ZERO, pf_taken: 4, pf_fixed: 4, pages_4k: 3, mmu_cache_miss: 4 };
    const rows = compareCounters(model, kernel, SHADOW_4K, [], [], []);
    expect(row(rows, 'pf_fixed')).toMatchObject({ modelValue: 3, kernelValue: 4, status: 'differ' });
    expect(allAgree(rows)).toBe(false);
  });

  it('on a TDP host the flush requests must agree, and the TDP MMU never counts mmu_cache_miss', async () => {
    const model = await replayText(trace, { backing: '4k', maxLevel: '4k' });
    const kernel = { ...KERNEL_ZERO, pf_taken: 3, pf_fixed: 3, pages_4k: 3, remote_tlb_flush_requests: 1 };
    const rows = compareCounters(model, kernel, { ...SHADOW_4K, mode: 'tdp', tdpMmu: true }, [], [], []);
    expect(row(rows, 'remote_tlb_flush_requests').status).toBe('differ');
    expect(row(rows, 'mmu_cache_miss')).toMatchObject({ modelValue: 4, kernelValue: 0, status: 'explained', note: NOTES.tdpCacheMiss });
  });

  it('shadow paging: write-protection faults land in pf_fixed, pf_fast stays 0 (explained)', async () => {
    const dirty = HEADER + ['0,W,0x1000,8,', '0,DIRTY_LOG_ON,0x0,,0', '0,W,0x1000,8,'].join('\n') + '\n';
    const model = await replayText(dirty, { backing: '4k', maxLevel: '4k' });
    expect(model.total.faults_permission).toBe(1);
    const kernel = { ...KERNEL_ZERO, pf_taken: 2, pf_fixed: 2, pages_4k: 1, mmu_cache_miss: 4 };
    const rows = compareCounters(model, kernel, { ...SHADOW_4K, dirtyLogging: true }, [], [], []);
    expect(row(rows, 'pf_fixed')).toMatchObject({ modelValue: 2, kernelValue: 2, status: 'agree' });
    expect(row(rows, 'pf_fast')).toMatchObject({ modelValue: 1, kernelValue: 0, status: 'explained', note: NOTES.shadowFast });
  });

  it('pre-fault answered EOPNOTSUPP by the host is explained; a different errno is not', async () => {
    const model = await replayText(trace, { backing: '4k', maxLevel: '4k' });
    const call = { vcpu: 0, line: 7, gpa: 0x1000, sizeBytes: 0x1000, remainingBytes: 0 };
    const kernel = { ...KERNEL_ZERO, pf_taken: 3, pf_fixed: 3, pages_4k: 3, mmu_cache_miss: 4 };
    const unsupported = compareCounters(model, kernel, SHADOW_4K, [{ ...call, result: 0 }], [{ ...call, result: -95, remainingBytes: 0x1000 }], []);
    expect(unsupported.at(-1)).toMatchObject({ modelValue: '0', kernelValue: '-95 (EOPNOTSUPP)', status: 'explained', note: NOTES.prefaultUnsupported });
    const other = compareCounters(model, kernel, SHADOW_4K, [{ ...call, result: 0 }], [{ ...call, result: -22 }], []);
    expect(other.at(-1)).toMatchObject({ kernelValue: '-22 (EINVAL)', status: 'differ' });
  });

  it('huge pages the host could not give make the mapping counters an explained difference', async () => {
    const model = await replayText(trace, { backing: '2m', maxLevel: '2m' });
    expect(model.vm.pages_2m).toBe(2);
    const kernel = { ...KERNEL_ZERO, pf_taken: 3, pf_fixed: 3, pages_4k: 3, mmu_cache_miss: 4 };
    const ctx = { ...SHADOW_4K, guestPageBytes: 2 << 20, guestPageAskedBytes: 2 << 20, hostPageBytes: 2 << 20, hostHugeBytes: 0 };
    const rows = compareCounters(model, kernel, ctx, [], [], []);
    expect(row(rows, 'pages_2m')).toMatchObject({ modelValue: 2, kernelValue: 0, status: 'explained', note: NOTES.noHugeHost });
    expect(allAgree(rows)).toBe(true);
  });

  it('1 GiB pages asked where the guest CPU has no PDPE1GB: explained only when the host backs 1 GiB pages', async () => {
    const model = await replayText(trace, { backing: '1g', maxLevel: '1g' });
    expect(model.vm.pages_1g).toBe(1);
    const kernel = { ...KERNEL_ZERO, pf_taken: 2, pf_fixed: 2, pages_2m: 2, mmu_cache_miss: 2 };
    const G1 = 1 << 30;
    const ctx = { ...SHADOW_4K, guestPageBytes: 2 << 20, guestPageAskedBytes: G1, hostPageBytes: G1, hostHugeBytes: G1 };
    expect(row(compareCounters(model, kernel, ctx, [], [], []), 'pages_1g')).toMatchObject({
      modelValue: 1,
      kernelValue: 0,
      status: 'explained',
      note: NOTES.no1g,
    });
    // With 2 MiB host pages the fallback changes nothing: the pairs must agree as usual.
    const model2m = await replayText(trace, { backing: '2m', maxLevel: '1g' });
    const rows = compareCounters(model2m, kernel, { ...ctx, hostPageBytes: 2 << 20, hostHugeBytes: 4 << 20 }, [], [], []);
    expect(row(rows, 'pages_2m')).toMatchObject({ modelValue: 2, kernelValue: 2, status: 'agree', note: '' });
  });

  it('a dirty-log read beside the model dirty pages must agree; without a model figure it is the kernel figure only', async () => {
    const model = await replayText(trace, { backing: '4k', maxLevel: '4k' });
    const kernel = { ...KERNEL_ZERO, pf_taken: 3, pf_fixed: 3, pages_4k: 3, mmu_cache_miss: 4 };
    const reads = [
      { line: 7, slot: 0, dirtyPages: 5 },
      { line: 0, slot: 0, dirtyPages: 2 },
    ];
    const rows = compareCounters(model, kernel, SHADOW_4K, [], [], reads, new Map([['7:0', 5]]));
    expect(rows.find((r) => r.model === 'dirty pages, memslot 0, line 7')).toMatchObject({
      kernel: 'KVM_GET_DIRTY_LOG',
      modelValue: 5,
      kernelValue: 5,
      status: 'agree',
    });
    expect(rows.find((r) => r.kernel === 'dirty pages, memslot 0, line 0')).toMatchObject({ modelValue: '-', kernelValue: 2, status: 'info' });
    expect(allAgree(rows)).toBe(true);
    const off = compareCounters(model, kernel, SHADOW_4K, [], [], reads, new Map([['7:0', 4]]));
    expect(off.find((r) => r.model === 'dirty pages, memslot 0, line 7')).toMatchObject({ modelValue: 4, kernelValue: 5, status: 'differ' });
    expect(allAgree(off)).toBe(false);
  });
});
