/**
 * Model versus the real KVM for a memslot deletion with
 * KVM_X86_QUIRK_SLOT_ZAP_ALL kept (upstream's default, `--slot-zap all`):
 * `kvm_arch_flush_shadow_memslot` -> `kvm_mmu_zap_all_fast` zaps every
 * mapping of the VM, the other data slot's and the runner's own memslot's.
 * The runner maps its own memslot again off the books (`sysRewarms`), so the
 * data slots' counters compare exactly. Skips, saying why, without /dev/kvm.
 */
import { describe, expect, it } from 'vitest';
import { row, validateRows, values } from './helpers/validateRows.js';
import { KVM, announceKvmSkip } from './helpers/kvmAvailability.js';

announceKvmSkip('validate-kvm-slot-zap-all');

const PAGE = 4096;
const M4 = 0x400000;

describe.skipIf(!KVM.ok)('validate on /dev/kvm: memslot deletion with KVM_X86_QUIRK_SLOT_ZAP_ALL kept', () => {
  it('deleting one of two slots zaps the other slot too: its pages fault again, as --slot-zap all models', async () => {
    const rows = [
      row(0, 'SLOT_ADD', 0, M4, 0),
      row(0, 'SLOT_ADD', M4, M4, 1),
      row(0, 'W', 1 * PAGE),
      row(0, 'W', M4 + PAGE),
      row(0, 'R', M4 + 2 * PAGE),
      row(0, 'SLOT_DEL', M4, '', 1),
      row(0, 'R', 1 * PAGE),
      row(0, 'R', 2 * PAGE),
      row(0, 'SLOT_ADD', M4, M4, 1),
      row(0, 'R', M4 + PAGE),
    ];
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
