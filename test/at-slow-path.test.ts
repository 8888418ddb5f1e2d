import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

/*
 * One 1 GiB memslot from GPA 0 and --guest-levels 4: the guest stage-1
 * tables of VA 0x1000 are, root first, 0x3ffff000, 0x3fffe000, 0x3fffd000 and
 * the last-level table 0x3fffc000 (guestWalk.ts); --backing 4k maps each on
 * its own, so an UNMAP of one 4 KiB page evicts exactly that table page.
 */
const HEADER = 'vcpu,op,gpa,size,x_at\n';
const GIB = [{ gpa: 0, sizeBytes: 1 << 30 }];
const FOUR_LEVELS = { backing: '4k', guestLevels: '4' };

describe('AT emulation: the slow path', () => {
  it('after an UNMAP of a stage-1 table page, handle_at_slow reads 4 descriptors and faults that page back in; the next AT is fast', async () => {
    const rows = ['0,R,0x1000,8,', '0,UNMAP,0x3fffc000,0x1000,', '0,AT,0x1000,,S1E1R', '0,AT,0x1000,,S1E1R'];
    const r = await replayText(`${HEADER}${rows.join('\n')}\n`, FOUR_LEVELS, GIB);
    expect(r.total.at_ops).toBe(2);
    // First AT: the hardware walk meets the unmapped PT page (a stage-2 fault on the walk): slow,
    // one kvm_read_guest per level (4), the PT page's read faults it in (1).
    // Second AT: every table page mapped again: fast.
    expect(r.total.at_slow).toBe(1);
    expect(r.total.at_fast).toBe(1);
    expect(r.total.at_walk_reads).toBe(4);
    expect(r.total.at_faults).toBe(1);
    // The walker's faults are not guest faults: only the R's fault of 0x1000 is.
    expect(r.total.faults).toBe(1);
    expect(r.total.faults_pt).toBe(4);
  });

  it('with nothing mapped, the slow walk faults in all four table pages', async () => {
    const r = await replayText(`${HEADER}0,AT,0x1000,,S1E1W\n`, FOUR_LEVELS, GIB);
    expect(r.total.at_slow).toBe(1);
    expect(r.total.at_walk_reads).toBe(4);
    expect(r.total.at_faults).toBe(4);
    expect(r.vm.pages_4k).toBe(4); // the four table pages, not the output page 0x1000
  });

  it('over 2 MiB stage-2 leaves, the four table pages share one leaf: one fault, then three reads that hit it', async () => {
    const r = await replayText(`${HEADER}0,AT,0x1000,,S1E0R\n`, { backing: '2m', maxLevel: '2m', guestLevels: '4' }, GIB);
    expect(r.total.at_walk_reads).toBe(4);
    expect(r.total.at_faults).toBe(1);
    expect(r.vm.pages_2m).toBe(1);
  });

  it('a table read that maps nothing (an MMIO exit) is no fault and ends the walk: x86-tdx, the root made shared', async () => {
    // On x86-tdx the slot is private memory; once the root frame is shared, reading it through the
    // private alias (the AT's address has no shared bit) is KVM_EXIT_MEMORY_FAULT: kvm_read_guest fails at level 0.
    const rows = ['0,SET_SHARED,0x3ffff000,0x1000,', '0,AT,0x1000,,S1E1R'];
    const r = await replayText(`${HEADER}${rows.join('\n')}\n`, { arch: 'x86-tdx', ...FOUR_LEVELS }, GIB);
    expect(r.total.at_slow).toBe(1);
    expect(r.total.at_walk_reads).toBe(1);
    expect(r.total.at_faults).toBe(0);
    expect(r.total.faults).toBe(0);
  });
});
