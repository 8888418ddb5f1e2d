/**
 * KVM_PRE_FAULT_MEMORY's range checks (`kvm_vcpu_pre_fault_memory`,
 * virt/kvm/kvm_main.c): -EINVAL only for an unaligned range or
 * `gpa + size <= gpa` (size 0, or wrapping around 2^64). A range that reaches
 * beyond the 52-bit address space is not -EINVAL: its step outside every
 * memslot is -ENOENT (`RET_PF_EMULATE`). And a pre-fault step is one fault:
 * an arch clamp of its level counts one `level_clamps`.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const SLOT = [{ gpa: 0, sizeBytes: 4 << 20 }];

describe('pre-fault: -EINVAL on wrap-around only', () => {
  it('a range crossing 2^52 is -ENOENT (no memslot there), not -EINVAL', async () => {
    // gpa 2^52 - 4 KiB, size 8 KiB: ends 4 KiB beyond 2^52.
    const r = await replayText(HEADER + '0,PREFAULT,0xffffffffff000,0x2000\n', { backing: '4k' }, SLOT);
    expect(r.prefaultCalls).toEqual([{ vcpu: 0, line: 2, gpa: 2 ** 52 - 4096, sizeBytes: 8192, result: -2, remainingBytes: 8192 }]);
    expect(r.total.prefault_errors).toBe(1);
  });

  it('size 0 (gpa + size <= gpa) and an unaligned range stay -EINVAL', async () => {
    const r = await replayText(HEADER + '0,PREFAULT,0x0,0\n0,PREFAULT,0x800,0x1000\n', { backing: '4k' }, SLOT);
    expect(r.prefaultCalls.map((c) => c.result)).toEqual([-22, -22]);
  });

  it('a clamped pre-fault step counts one level_clamps; a second, spurious one another', async () => {
    // x86-tdx: private memory maps 4K where the slot allows 2M (tdx_gmem_private_max_mapping_level).
    const csv = HEADER + '0,PREFAULT,0x0,0x1000\n0,PREFAULT,0x0,0x1000\n0,R,0x0,8\n';
    const r = await replayText(csv, { arch: 'x86-tdx', backing: '2m', maxLevel: '2m' }, SLOT);
    // Step 1 maps 4K (one clamp), step 2 finds it (a spurious fault, clamped again); the read faults not.
    expect([r.vm.level_clamps, r.vm.pages_4k, r.total.faults]).toEqual([2, 1, 0]);
  });
});
