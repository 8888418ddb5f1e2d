/**
 * `kvm_mmu_zap_all_fast` (x86 memslot delete with KVM_X86_QUIRK_SLOT_ZAP_ALL)
 * invalidates every root; the old roots are freed with all their tables
 * (`kvm_tdp_mmu_zap_invalidated_roots`) and each vCPU loads a new, empty
 * root, so the faults after the delete allocate their tables again. The
 * quirk off (`--slot-zap slot`) unmaps the slot's leaves and keeps the tables.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size,x_slot\n';
// Slot 1 at 0, slot 2 at 4 MiB (another 2 MiB region, same 1 GiB); read one page of each, delete slot 2, read slot 1 again.
const TRACE = `${HEADER}0,SLOT_ADD,0x0,0x400000,1\n0,SLOT_ADD,0x400000,0x400000,2\n0,R,0x1000,8,\n0,R,0x401000,8,\n0,SLOT_DEL,0x400000,,2\n0,R,0x1000,8,\n`;

describe('zap-all frees every table below the root', () => {
  it('--slot-zap all: the re-fault after the delete allocates its 3 tables again (mmu_pages 4 + 3)', async () => {
    // Before: 0x1000 needs the 1G-, 2M- and 4K-level tables below the root (3), 0x401000 one more 4K-level table (4).
    // The zap frees them all; 0x1000 faults again and allocates 3 new ones: 7.
    const r = await replayText(TRACE, { backing: '4k' });
    expect(r.total.faults_missing).toBe(3);
    expect(r.vm.mmu_pages).toBe(7);
    expect(r.vm.pages_4k).toBe(1);
  });

  it('--slot-zap slot: the tables stay, slot 1 still mapped, no table allocated after the delete (mmu_pages 4)', async () => {
    const r = await replayText(TRACE, { backing: '4k', slotZap: 'slot' });
    expect(r.total.faults_missing).toBe(2);
    expect(r.vm.mmu_pages).toBe(4);
    expect(r.vm.pages_4k).toBe(1);
  });
});
