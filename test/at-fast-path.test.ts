import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

/*
 * One 1 GiB memslot from GPA 0 (262144 frames) and --guest-levels 4: the
 * synthetic guest stage-1 tables of VA 0x1000 are the top four frames,
 * root first: 0x3ffff000, 0x3fffe000, 0x3fffd000, 0x3fffc000 (guestWalk.ts).
 * With --backing 4k each is its own 4 KiB stage-2 leaf.
 */
const HEADER = 'vcpu,op,gpa,size,x_at\n';
const GIB = [{ gpa: 0, sizeBytes: 1 << 30 }];
const FOUR_LEVELS = { backing: '4k', guestLevels: '4' };

describe('AT emulation: the fast path', () => {
  it('every stage-1 table page mapped: the hardware AT answers, no guest read, no fault', async () => {
    // The R's 2D walk faults the four table pages in (faults_pt 4) and maps 0x1000 (faults 1).
    const r = await replayText(`${HEADER}0,R,0x1000,8,\n0,AT,0x1000,,S1E1R\n0,AT,0x1000,,S1E1W\n`, FOUR_LEVELS, GIB);
    expect(r.total.faults_pt).toBe(4);
    expect(r.total.faults).toBe(1);
    expect(r.total.at_ops).toBe(2);
    expect(r.total.at_fast).toBe(2);
    expect(r.total.at_slow).toBe(0);
    expect(r.total.at_walk_reads).toBe(0);
    expect(r.total.at_faults).toBe(0);
    expect(r.total.at_pan_checks).toBe(0);
  });

  it('the output page need not be mapped: an AT S1 translates the stage-1 only', async () => {
    // --prefault 0x3fffc000:0x4000 maps exactly the four table pages; 0x1000 stays unmapped.
    const r = await replayText(`${HEADER}0,AT,0x1000,,S1E1W\n`, { ...FOUR_LEVELS, prefault: '0x3fffc000:0x4000' }, GIB);
    expect(r.total.at_fast).toBe(1);
    expect(r.total.at_slow).toBe(0);
    expect(r.total.faults).toBe(0);
  });

  it('S1E0R on the kernel-only synthetic tables ends on a stage-1 permission fault, which stays on the fast path', async () => {
    const r = await replayText(`${HEADER}0,AT,0x1000,,S1E0R\n0,AT,0x1000,,S1E0W\n`, { ...FOUR_LEVELS, prefault: 'all' }, GIB);
    expect(r.total.at_fast).toBe(2);
    expect(r.total.at_slow).toBe(0);
  });

  it('--guest-levels 0: the guest stage-1 MMU is off, every AT is fast and reads nothing', async () => {
    const r = await replayText(`${HEADER}0,AT,0x1000,,S1E1R\n0,AT,0x2000,,S1E2W\n0,AT,0x3000,,S1E0R\n`, { backing: '4k' }, GIB);
    expect(r.total.at_ops).toBe(3);
    expect(r.total.at_fast).toBe(3);
    expect(r.total.at_walk_reads).toBe(0);
    expect(r.total.faults).toBe(0);
  });

  it("counts on the AT row's vCPU", async () => {
    const r = await replayText(`${HEADER}0,R,0x0,8,\n1,AT,0x1000,,S1E1R\n`, { ...FOUR_LEVELS, prefault: 'all' }, GIB);
    expect(r.vcpus[0].at_ops).toBe(0);
    expect(r.vcpus[1].at_ops).toBe(1);
    expect(r.vcpus[1].at_fast).toBe(1);
  });
});
