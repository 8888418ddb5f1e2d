/**
 * arm64 instruction fetches KVM cannot map are -ENOEXEC: an abort injected
 * into the guest (`kvm_handle_guest_abort`: `if (ret == -ENOEXEC) ret =
 * kvm_inject_sea_iabt(...)`), not an exit to userspace. Two sources:
 * - Device memory: `user_mem_abort` returns -ENOEXEC for `exec_fault && s2_force_noncacheable`;
 * - outside any memslot: `kvm_handle_guest_abort` (`kvm_is_error_hva(hva)` and `is_iabt`).
 * Counted in `faults_abort` (part of `faults`), never in `faults_mmio`. x86 exits (`faults_mmio`).
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const DEVICE = [{ gpa: 0, sizeBytes: 4 << 20, pfnmap: 'device' as const }];

describe('arm64 exec of Device memory or outside RAM injects an abort (-ENOEXEC)', () => {
  it('exec of a Device page: one abort, no MMIO exit, nothing mapped; a read of it still maps', async () => {
    // X at 0x1000: -ENOEXEC -> kvm_inject_sea_iabt; R at 0x2000: one missing fault, a Device leaf.
    const r = await replayText(HEADER + '0,X,0x1000,4\n0,R,0x2000,8\n', { arch: 'arm64', backing: '4k' }, DEVICE);
    expect(r.total.faults_abort).toBe(1);
    expect(r.total.faults_mmio).toBe(0);
    expect(r.total.faults_missing).toBe(1);
    expect(r.total.faults).toBe(2);
    expect(r.vm.pages_device).toBe(1);
  });

  it('exec outside any memslot aborts; a read there is an MMIO exit (io_mem_abort)', async () => {
    const r = await replayText(HEADER + '0,X,0x10000000,4\n0,R,0x10000000,8\n', { arch: 'arm64', backing: '4k' }, DEVICE);
    expect(r.total.faults_abort).toBe(1);
    expect(r.total.faults_mmio).toBe(1);
  });

  it('pKVM takes the same path (kvm_handle_guest_abort is shared)', async () => {
    const r = await replayText(HEADER + '0,X,0x1000,4\n', { arch: 'pkvm', backing: '4k' }, DEVICE);
    expect(r.total.faults_abort).toBe(1);
    expect(r.vm.hypercalls).toBe(0);
  });

  it('x86: an exec outside any memslot is an exit (faults_mmio), no abort', async () => {
    const r = await replayText(HEADER + '0,X,0x10000000,4\n', { arch: 'x86-tdp', backing: '4k' }, [{ gpa: 0, sizeBytes: 4 << 20 }]);
    expect(r.total.faults_abort).toBe(0);
    expect(r.total.faults_mmio).toBe(1);
  });
});
