/**
 * KVM_SET_MEMORY_ATTRIBUTES with attributes the range already has is a
 * no-op: `kvm_vm_set_mem_attributes` (virt/kvm/kvm_main.c) returns before
 * `kvm_arch_pre_set_memory_attributes` when `kvm_range_has_memory_attributes`
 * holds, so nothing is zapped or flushed. x86-tdp, one 4 MiB guest_memfd slot
 * (its GFNs start private) and one ordinary slot at 4 MiB; 4 KiB backing.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const MiB = 1 << 20;
const SLOTS = [
  { gpa: 0, sizeBytes: 4 * MiB, private: true },
  { gpa: 4 * MiB, sizeBytes: 4 * MiB },
];

describe('unchanged memory attributes are a no-op', () => {
  it('SET_PRIVATE of private memory: no zap, no flush, the page still hits', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n0,SET_PRIVATE,0x0,0x1000\n0,R,0x0,8\n', { backing: '4k' }, SLOTS);
    expect([r.total.faults_missing, r.vm.flush_requests, r.total.tlb_hits, r.vm.pages_private]).toEqual([1, 0, 1, 1]);
  });

  it('SET_SHARED of shared memory (the ordinary slot): no zap, no flush', async () => {
    const r = await replayText(HEADER + '0,R,0x400000,8\n0,SET_SHARED,0x400000,0x1000\n0,R,0x400000,8\n', { backing: '4k' }, SLOTS);
    expect([r.total.faults_missing, r.vm.flush_requests, r.total.tlb_hits]).toEqual([1, 0, 1]);
  });

  it('a second SET_SHARED of the same range is a no-op; the first zapped and flushed', async () => {
    const csv = HEADER + '0,R,0x0,8\n0,SET_SHARED,0x0,0x1000\n0,R,0x0,8\n0,SET_SHARED,0x0,0x1000\n0,R,0x0,8\n';
    const r = await replayText(csv, { backing: '4k' }, SLOTS);
    // Private fault, zap + flush, shared fault; the second SET_SHARED changes nothing: the last read hits.
    expect([r.total.faults_missing, r.vm.flush_requests, r.total.tlb_hits, r.vm.pages_shared, r.vm.pages_private]).toEqual([2, 1, 1, 1, 0]);
  });

  it('a range only partly with the attribute is changed whole (zapped over the range)', async () => {
    // 0x0 private (default), 0x400000 shared: SET_PRIVATE over both slots changes the second: one zap and flush of the range.
    const csv = HEADER + '0,R,0x0,8\n0,R,0x400000,8\n0,SET_PRIVATE,0x0,0x800000\n0,R,0x0,8\n';
    const r = await replayText(csv, { backing: '4k' }, SLOTS);
    // Without an alias the range's mappings are zapped (both leaves): the read of 0x0 faults again.
    expect([r.vm.flush_requests, r.total.faults_missing]).toEqual([1, 3]);
  });
});
