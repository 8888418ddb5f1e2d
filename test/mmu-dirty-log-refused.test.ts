/**
 * Dirty logging where KVM refuses it: KVM_MEM_LOG_DIRTY_PAGES on a guest_memfd
 * slot (`check_memory_region_flags`: -EINVAL) or an arm64 VM_PFNMAP slot
 * (`kvm_arch_prepare_memory_region`: -EINVAL) leaves the VM as it was, the run
 * goes on, `ioctl_errors` counts it and run.json lists the row. On x86 a
 * read-only slot accepts the flag but `kvm_mmu_slot_apply_flags` returns
 * early: no eager split, no write-protection, no recovery when it stops.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size,x_slot\n';
const MiB = 1 << 20;
// Line 2 maps page 0, line 3 asks for dirty logging, line 4 writes page 0, line 5 stops logging.
const CSV = HEADER + '0,W,0x0,8,\n0,DIRTY_LOG_ON,0x0,,0\n0,W,0x0,8,\n0,DIRTY_LOG_OFF,0x0,,0\n';

describe('dirty logging refused where KVM refuses it', () => {
  it('guest_memfd slot (x86-tdp): -EINVAL, nothing write-protected, the next write does not fault', async () => {
    const r = await replayText(CSV, { backing: '4k' }, [{ gpa: 0, sizeBytes: 4 * MiB, private: true }]);
    expect(r.vm.ioctl_errors).toBe(1);
    expect(r.ioctlErrors).toEqual([{ line: 3, op: 'DIRTY_LOG_ON', slot: 0, result: -22 }]);
    // One fault for the first write; no write-protection (no flush), so the second write hits.
    expect([r.total.faults_missing, r.total.faults_permission, r.vm.flush_requests]).toEqual([1, 0, 0]);
    // DIRTY_LOG_OFF changes no flag (logging never started): a no-op, not an error; the private leaf stays.
    expect(r.vm.pages_private).toBe(1);
  });

  it('arm64 VM_PFNMAP (device) slot: -EINVAL, the Device leaf stays writable', async () => {
    const r = await replayText(CSV, { arch: 'arm64', backing: '4k' }, [{ gpa: 0, sizeBytes: 4 * MiB, pfnmap: 'device' }]);
    expect(r.vm.ioctl_errors).toBe(1);
    expect(r.ioctlErrors).toEqual([{ line: 3, op: 'DIRTY_LOG_ON', slot: 0, result: -22 }]);
    expect([r.total.faults_missing, r.total.faults_permission, r.vm.flush_requests, r.vm.pages_device]).toEqual([1, 0, 0, 1]);
  });

  it('an ordinary slot accepts it (for contrast): the second write is a permission fault, no ioctl error', async () => {
    const r = await replayText(CSV, { backing: '4k' }, [{ gpa: 0, sizeBytes: 4 * MiB }]);
    expect(r.vm.ioctl_errors).toBe(0);
    expect(r.ioctlErrors).toBeUndefined();
    expect([r.total.faults_missing, r.total.faults_permission, r.vm.flush_requests]).toEqual([1, 1, 1]);
  });

  it('x86 read-only slot: no eager split, no write-protection, no recovery; new faults map 4K meanwhile', async () => {
    // 2M backing: R 0x0 maps a 2M leaf. Logging on: eager split (x86 default) would make 512 4K leaves.
    const csv = HEADER + '0,R,0x0,8,\n0,DIRTY_LOG_ON,0x0,,0\n0,R,0x200000,8,\n0,DIRTY_LOG_OFF,0x0,,0\n';
    const ro = await replayText(csv, { backing: '2m' }, [{ gpa: 0, sizeBytes: 4 * MiB, readOnly: true }]);
    // The 2M leaf stays; the read under logging maps 4K (dirty tracking forces 4K); off: no recovery.
    expect([ro.vm.pages_2m, ro.vm.pages_4k, ro.vm.flush_requests, ro.vm.ioctl_errors]).toEqual([1, 1, 0, 0]);
    const rw = await replayText(csv, { backing: '2m' }, [{ gpa: 0, sizeBytes: 4 * MiB }]);
    // Writable: split to 512, write-protected (1 flush), 4K fault; off: recover both 2M frames (1 flush).
    expect([rw.vm.pages_2m, rw.vm.pages_4k, rw.vm.flush_requests]).toEqual([2, 0, 2]);
  });

  it('harvesting a slot whose logging was refused: -ENOENT per GET/CLEAR row, counted, the run goes on', async () => {
    // kvm_get_dirty_log_protect / kvm_clear_dirty_log_protect: no dirty bitmap -> -ENOENT. Line 3 is refused
    // (-EINVAL), lines 5 and 6 harvest nothing (-ENOENT), line 7 (a write) still replays: 3 ioctl errors.
    const csv = HEADER + '0,W,0x0,8,\n0,DIRTY_LOG_ON,0x0,,0\n0,W,0x0,8,\n0,DIRTY_LOG_GET,0x0,,0\n0,DIRTY_LOG_CLEAR,0x0,0x40000,0\n0,W,0x1000,8,\n';
    const r = await replayText(csv, { backing: '4k' }, [{ gpa: 0, sizeBytes: 4 * MiB, private: true }]);
    expect(r.vm.ioctl_errors).toBe(3);
    expect(r.ioctlErrors?.map((e) => [e.line, e.op, e.result])).toEqual([
      [3, 'DIRTY_LOG_ON', -22],
      [5, 'DIRTY_LOG_GET', -2],
      [6, 'DIRTY_LOG_CLEAR', -2],
    ]);
    // Pages 0 and 1 faulted once each; nothing was write-protected.
    expect([r.total.faults_missing, r.total.faults_permission, r.vm.flush_requests]).toEqual([2, 0, 0]);
  });

  it('a --vm slot declared guest_memfd with dirty logging on is refused at registration (exit 2)', async () => {
    await expect(replayText(HEADER, { backing: '4k' }, [{ gpa: 0, sizeBytes: 4 * MiB, private: true, dirtyLogging: true }])).rejects.toThrow(
      'test memslot 0: memslot 0: guest_memfd memory cannot log dirty pages (check_memory_region_flags: -EINVAL)',
    );
  });
});
