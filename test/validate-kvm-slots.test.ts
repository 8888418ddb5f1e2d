/**
 * Model versus the real KVM for host events: dirty logging on and off
 * (KVM_MEM_LOG_DIRTY_PAGES, KVM_GET_DIRTY_LOG) and memslot deletion agree on
 * the counters KVM exposes. Skips, saying why, without /dev/kvm or the runner.
 */
import { describe, expect, it } from 'vitest';
import { readHostFacts, hostMode } from '../src/validate/hostFacts.js';
import { TWO_SLOT_DELETE_ROWS, row, validateRows, values } from './helpers/validateRows.js';
import { KVM, announceKvmSkip } from './helpers/kvmAvailability.js';

announceKvmSkip('validate-kvm-slots');

const PAGE = 4096;
const K4 = { backing: '4k', maxLevel: '4k' };

describe.skipIf(!KVM.ok)('validate on /dev/kvm: dirty logging and memslot deletion', () => {
  it('dirty logging on then off, 4K: each first write under logging faults once more, and KVM logs the pages touched', async () => {
    // Before: W 1, W 2, R 3 (3 faults). Logging on: W 1, W 3 (write-protected: 2 faults),
    // R 2 (mapped, readable: none), W 4 (new: 1 fault). Off: 4K leaves cannot be larger, so they stay
    // write-protected: W 2 (1 fault), W 5 (new: 1).
    const rows = [
      row(0, 'W', 1 * PAGE),
      row(0, 'W', 2 * PAGE),
      row(0, 'R', 3 * PAGE),
      row(0, 'DIRTY_LOG_ON', 0, '', 0),
      row(0, 'W', 1 * PAGE),
      row(0, 'R', 2 * PAGE),
      row(0, 'W', 3 * PAGE),
      row(0, 'W', 4 * PAGE),
      row(0, 'DIRTY_LOG_OFF', 0, '', 0),
      row(0, 'W', 2 * PAGE),
      row(0, 'W', 5 * PAGE),
    ];
    const r = await validateRows(rows, K4);
    expect(values(r, 'pf_fixed')).toEqual([8, 8]);
    expect(values(r, 'pages_4k')).toEqual([5, 5]);
    // Shadow paging fixes the 3 write-protection faults on the slow path (an explained row).
    if (hostMode(readHostFacts()) === 'shadow') expect(values(r, 'pf_fast')).toEqual([3, 0]);
    // Pages 1, 3 and 4 were written while logging was on: 3 dirty pages in KVM's log and in the model's bitmap.
    const dirty = r.rows.find((x) => x.model.startsWith('dirty pages'));
    const logRead = !r.notes.some((n) => n.includes('dirty logs were not read'));
    if (logRead) expect(dirty).toMatchObject({ modelValue: 3, kernelValue: 3, status: 'agree' });
    expect(r.agree).toBe(true);
  });

  it('memslot deletion with the quirk disabled (--slot-zap slot) zaps only that slot: its pages fault again after it is added back, the other slot keeps its mappings', async () => {
    const rows = TWO_SLOT_DELETE_ROWS;
    const r = await validateRows(rows, { ...K4, slotZap: 'slot' });
    // Faults: 1, M4+1, M4+2, then 2 (1 is still mapped), then M4+1 again.
    expect(values(r, 'pf_fixed')).toEqual([5, 5]);
    // Left mapped: 1, 2 and M4+1.
    expect(values(r, 'pages_4k')).toEqual([3, 3]);
    expect(r.agree).toBe(true);
  });

  it.skipIf(readHostFacts().thp === 'never')('dirty logging with 2 MiB pages: pages by level agree once logging is off again', async () => {
    const M2 = 0x200000;
    const rows = [
      row(0, 'W', PAGE),
      row(0, 'W', M2 + PAGE),
      row(0, 'DIRTY_LOG_ON', 0, '', 0),
      row(0, 'W', PAGE),
      row(0, 'W', M2 + 3 * PAGE),
      row(0, 'DIRTY_LOG_OFF', 0, '', 0),
      row(0, 'W', 2 * PAGE),
      row(0, 'R', M2 + 2 * PAGE),
    ];
    const r = await validateRows(rows, { backing: '2m', maxLevel: '2m' });
    expect(values(r, 'pages_2m')).toEqual([2, 2]);
    expect(values(r, 'pages_4k')).toEqual([0, 0]);
    // 2 faults before, 2 under logging, 2 after (logging off zapped the 4K leaves: zap on shadow hosts).
    expect(values(r, 'pf_fixed')).toEqual([6, 6]);
    expect(r.agree).toBe(true);
  });
});
