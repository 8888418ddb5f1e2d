/**
 * x86 memslot deletion and move (`kvm_arch_flush_shadow_memslot`,
 * arch/x86/kvm/mmu/mmu.c): with `kvm_memslot_flush_zap_all()` (the default
 * VM type and KVM_X86_QUIRK_SLOT_ZAP_ALL, `--slot-zap all`, the default)
 * `kvm_mmu_zap_all_fast` zaps every mapping of the VM and every vCPU loads a
 * new root (a full flush); with the quirk off, or a TDX VM, only the slot is
 * unmapped. One vCPU, 4 KiB backing: every fault maps one 4K leaf.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';
import { valueProblem } from '../src/trace/binary/chunkCodec.js';
import { Op, parseOp } from '../src/trace/ops.js';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { InputError } from '../src/errors.js';

const HEADER = 'vcpu,op,gpa,size,x_slot\n';
const SLOTS = '0,SLOT_ADD,0x0,0x200000,1\n0,SLOT_ADD,0x40000000,0x200000,2\n';
// Three leaves: 0x0 and 0x1000 in slot 1, 0x40000000 in slot 2; then slot 2 goes, and slot 1 is read again.
const DELETE = HEADER + SLOTS + '0,R,0x0,8,\n0,R,0x1000,8,\n0,R,0x40000000,8,\n0,SLOT_DEL,0x0,,2\n0,R,0x0,8,\n0,R,0x1000,8,\n';
// Slot 2 moves to 3 GiB: its old GPA is MMIO, the new one faults in.
const MOVE = HEADER + SLOTS + '0,R,0x0,8,\n0,R,0x40000000,8,\n0,SLOT_MOVE,0xc0000000,0x200000,2\n0,R,0x0,8,\n0,R,0x40000000,8,\n0,R,0xc0000000,8,\n';

describe('memslot delete and move zap every mapping on x86 (KVM_X86_QUIRK_SLOT_ZAP_ALL)', () => {
  it('--slot-zap all (default): a delete zaps slot 1 too, one full flush, and slot 1 faults again', async () => {
    const r = await replayText(DELETE, { backing: '4k' });
    expect(r.scenario.slotZap).toBe('all');
    // 3 faults before the delete; 0x0 and 0x1000 were zapped with the rest: 2 more.
    expect(r.total.faults_missing).toBe(5);
    expect(r.vm.pages_4k).toBe(2);
    // One root reload: one request, full, one vCPU interrupted.
    expect([r.vm.flush_requests, r.vm.flushes_full, r.vm.flushes_range, r.vm.flush_ipis]).toEqual([1, 1, 0, 1]);
    // The 3 TLB entries all mapped zapped frames: inside the request, none still valid to refill.
    expect([r.vm.tlb_entries_flushed, r.vm.tlb_entries_flushed_collateral, r.total.refill_misses]).toEqual([3, 0, 0]);
  });

  it('--slot-zap slot (quirk off): only slot 2 is unmapped; slot 1 misses the TLB but does not fault', async () => {
    const r = await replayText(DELETE, { backing: '4k', slotZap: 'slot' });
    expect(r.total.faults_missing).toBe(3);
    expect(r.vm.pages_4k).toBe(2);
    // kvm_unmap_gfn_range's flush is kvm_flush_remote_tlbs: full on bare-metal x86.
    expect([r.vm.flush_requests, r.vm.flushes_full, r.vm.flush_ipis]).toEqual([1, 1, 1]);
    // 3 entries dropped, the 2 of slot 1 outside the request (collateral) and still valid: 2 refill misses.
    expect([r.vm.tlb_entries_flushed, r.vm.tlb_entries_flushed_collateral, r.total.refill_misses]).toEqual([3, 2, 2]);
  });

  it('x86-tdx (not the default VM type) zaps the slot only, whatever --slot-zap says', async () => {
    const r = await replayText(DELETE, { arch: 'x86-tdx', backing: '4k', slotZap: 'all' });
    // The quirk does not apply: the scenario collapses to the default value, the rule is the TDX one.
    expect(r.scenario.slotZap).toBe('all');
    expect(r.total.faults_missing).toBe(3);
    expect(r.vm.pages_4k).toBe(2);
    expect([r.vm.tlb_entries_flushed, r.vm.tlb_entries_flushed_collateral]).toEqual([3, 2]);
  });

  it('arm64 unmaps the slot only (kvm_stage2_unmap_range): slot 1 keeps its leaves, one range TLBI', async () => {
    const r = await replayText(DELETE, { arch: 'arm64', backing: '4k' });
    expect(r.total.faults_missing).toBe(3);
    // The range TLBI is followed by TLBI VMALLE1IS: all 3 entries go, the 2 of slot 1 as collateral.
    expect([r.vm.flushes_full, r.vm.flushes_range, r.vm.tlb_entries_flushed, r.vm.tlb_entries_flushed_collateral]).toEqual([0, 1, 3, 2]);
  });

  it('SLOT_MOVE with the quirk: every mapping zapped; the old GPA is MMIO, the new one faults', async () => {
    const r = await replayText(MOVE, { backing: '4k' });
    // 0x0 and 0x40000000, then 0x0 again (zapped) and 0xc0000000: 4; 0x40000000 has no slot now.
    expect(r.total.faults_missing).toBe(4);
    expect(r.total.faults_mmio).toBe(1);
    expect(r.vm.pages_4k).toBe(2);
    expect([r.vm.flush_requests, r.vm.flushes_full]).toEqual([1, 1]);
  });

  it('SLOT_MOVE without the quirk: only the moved slot is zapped', async () => {
    const r = await replayText(MOVE, { backing: '4k', slotZap: 'slot' });
    expect(r.total.faults_missing).toBe(3);
    expect(r.total.faults_mmio).toBe(1);
    expect(r.vm.pages_4k).toBe(2);
  });

  it('SLOT_MOVE keeps the size (KVM_MR_MOVE): another size is bad input, located at its row', async () => {
    const csv = HEADER + SLOTS + '0,SLOT_MOVE,0xc0000000,0x400000,2\n';
    await expect(replayText(csv, { backing: '4k' })).rejects.toThrow(/test\.csv:4: .*memslot 2 is 2048 KiB; a move keeps the size/);
  });

  it('SLOT_MOVE onto another slot is refused before anything is zapped', async () => {
    const csv = HEADER + SLOTS + '0,SLOT_MOVE,0x0,0x200000,2\n';
    await expect(replayText(csv, { backing: '4k' })).rejects.toThrow(/memslot 2 overlaps memslot 1/);
  });

  it('--slot-zap takes all or slot; another value is one line naming the flag', () => {
    expect(() => parseMatrix({ slotZap: 'some' })).toThrow(new InputError('--slot-zap: "some" is not one of all, slot'));
  });

  it('op code 15 is SLOT_MOVE; 18 and 21 are not ops', () => {
    expect(parseOp('SLOT_MOVE')).toBe(Op.SLOT_MOVE);
    expect(Op.SLOT_MOVE as number).toBe(15);
    expect(valueProblem('op', 15, 1)).toBeUndefined();
    expect(valueProblem('op', 21, 1)).toBe('21 is not an op code (1 to 17, 20)');
    expect(valueProblem('op', 18, 1)).toBe('18 is not an op code (1 to 17, 20)');
  });
});
