/**
 * `--dirty-log-off zap`: the TDP MMU up to Linux 6.12
 * (`kvm_tdp_mmu_zap_collapsible_sptes` -> `zap_collapsible_spte_range`,
 * arch/x86/kvm/mmu/tdp_mmu.c) zaps every collapsible *table* entry
 * atomically (`tdp_mmu_zap_spte_atomic`, which does its own remote flush,
 * `kvm_flush_remote_tlbs_gfn`) and frees the table: one flush per entry, and
 * the next fault maps the huge leaf into an empty entry (no flush).
 * `zap-leaves` is the shadow MMU's `kvm_rmap_zap_collapsible_sptes`: the
 * leaves, one flush, tables kept.
 * x86-tdp, one 4 MiB slot, 2 MiB backing, --max-level 2m.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size,x_slot\n';
const SLOT = [{ gpa: 0, sizeBytes: 4 << 20 }];
// Logging on (nothing mapped yet: no flush), three 4K writes (two in the first 2 MiB, one in the second), off, two reads.
const CSV = HEADER + '0,DIRTY_LOG_ON,0x0,,0\n0,W,0x0,8,\n0,W,0x1000,8,\n0,W,0x200000,8,\n0,DIRTY_LOG_OFF,0x0,,0\n0,R,0x0,8,\n0,R,0x200000,8,\n';
const FLAGS = { backing: '2m', maxLevel: '2m' };

describe('--dirty-log-off zap: one atomic zap and flush per collapsible table', () => {
  it('zap: the two PT tables go, 2 flushes; the reads map 2M into empty entries without a flush', async () => {
    const r = await replayText(CSV, { ...FLAGS, dirtyLogOff: 'zap' }, SLOT);
    expect([r.vm.flush_requests, r.vm.flushes_full]).toEqual([2, 2]);
    // 3 writes + 2 reads fault; the 4K leaves went with their tables.
    expect([r.total.faults_missing, r.vm.pages_2m, r.vm.pages_4k]).toEqual([5, 2, 0]);
    // PDPT + PD + two PTs, none more: the 2M leaves sit in the PD.
    expect(r.vm.mmu_pages).toBe(4);
    // The first flush drops the 3 TLB entries (0x200000's outside [0, 2 MiB): collateral); the second, none.
    expect([r.vm.tlb_entries_flushed, r.vm.tlb_entries_flushed_collateral]).toEqual([3, 1]);
  });

  it('zap-leaves (shadow MMU): one flush for the leaves, then each 2M leaf replaces its emptied table with a flush', async () => {
    const r = await replayText(CSV, { ...FLAGS, dirtyLogOff: 'zap-leaves' }, SLOT);
    expect([r.vm.flush_requests, r.vm.flushes_full]).toEqual([3, 3]);
    expect([r.total.faults_missing, r.vm.pages_2m, r.vm.pages_4k]).toEqual([5, 2, 0]);
  });

  it('a table not collapsible (the slot allows 2M only) stays: with --max-level 2m the 1G-level entry is kept', async () => {
    const r = await replayText(CSV, { ...FLAGS, dirtyLogOff: 'zap' }, SLOT, (engine) => {
      // The PD (the 1G-level entry's table) still holds both 2M leaves.
      expect(engine.vm.tables[0].lookup(0)).not.toBe(0);
      expect(engine.vm.tables[0].lookupLevel).toBe(2);
    });
    expect(r.vm.pages_1g).toBe(0);
  });
});
