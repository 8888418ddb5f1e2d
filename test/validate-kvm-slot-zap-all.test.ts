/**
 * Model versus the real KVM for a memslot deletion with
 * KVM_X86_QUIRK_SLOT_ZAP_ALL kept (upstream's default, `--slot-zap all`):
 * `kvm_arch_flush_shadow_memslot` -> `kvm_mmu_zap_all_fast` zaps every
 * mapping of the VM, the other data slot's and the runner's own memslot's.
 * The runner maps its own memslot again off the books (`sysRewarms`), so the
 * data slots' counters compare exactly. Skips, saying why, without /dev/kvm.
 */
import { describe, expect, it } from 'vitest';
import { TWO_SLOT_DELETE_ROWS, validateRows, values } from './helpers/validateRows.js';
import { KVM, announceKvmSkip } from './helpers/kvmAvailability.js';

announceKvmSkip('validate-kvm-slot-zap-all');

describe.skipIf(!KVM.ok)('validate on /dev/kvm: memslot deletion with KVM_X86_QUIRK_SLOT_ZAP_ALL kept', () => {
  it('deleting one of two slots zaps the other slot too: its pages fault again, as --slot-zap all models', async () => {
    const rows = TWO_SLOT_DELETE_ROWS;
    const r = await validateRows(rows, { backing: '4k', maxLevel: '4k', slotZap: 'all' });
    // Faults: 1, M4+1, M4+2 (3); the delete zaps everything, so 1 faults again and 2 is new (2);
    // M4+1 after the slot is back (1): 6, one more than with --slot-zap slot (1 stays mapped there).
    expect(values(r, 'pf_fixed')).toEqual([6, 6]);
    // Left mapped: 1, 2 and M4+1 (M4+2 went with the zap and was not touched again).
    expect(values(r, 'pages_4k')).toEqual([3, 3]);
    // Tables below the root: 3 for page 1 and 1 more for M4+1 (another 2 MiB region), then the zap frees
    // them all (the old root goes) and the re-faults allocate the same 4 again: 8 (shadow pages on this host).
    expect(values(r, 'mmu_cache_miss')).toEqual([8, 8]);
    expect(r.modelledAs).toContain('max=4k');
    expect(r.modelledAs).not.toContain('slot-zap=slot');
    expect(r.notes.some((n) => n.includes('mapped it again 1 time(s)'))).toBe(true);
    expect(r.agree).toBe(true);
  });
});
