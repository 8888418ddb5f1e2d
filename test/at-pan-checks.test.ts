import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

/*
 * check_at_pan (seed 003): after the EL1 walk of AT S1E1RP/WP succeeds, KVM
 * translates again at EL0, AT S1E0R, and AT S1E0W when the read failed.
 * The synthetic guest stage-1 gives EL0 no access (kernel mappings), so both
 * EL0 translations fail on a permission fault and the EL1 result stands.
 * Memslot and tables as in test/at-slow-path.test.ts.
 */
const HEADER = 'vcpu,op,gpa,size,x_at\n';
const GIB = [{ gpa: 0, sizeBytes: 1 << 30 }];
const FOUR_LEVELS = { backing: '4k', guestLevels: '4' };

describe('AT emulation: PAN checks', () => {
  it('S1E1RP and S1E1WP with the tables mapped: two extra translations each, both fail, the fast result stands', async () => {
    const r = await replayText(`${HEADER}0,AT,0x1000,,S1E1RP\n0,AT,0x1000,,S1E1WP\n`, { ...FOUR_LEVELS, prefault: 'all' }, GIB);
    expect(r.total.at_ops).toBe(2);
    expect(r.total.at_pan_checks).toBe(4);
    expect(r.total.at_fast).toBe(2);
    expect(r.total.at_slow).toBe(0);
  });

  it('a failed EL1 walk goes slow before any PAN check: the software walker applies PAN itself', async () => {
    const r = await replayText(`${HEADER}0,AT,0x1000,,S1E1RP\n`, FOUR_LEVELS, GIB);
    expect(r.total.at_pan_checks).toBe(0);
    expect(r.total.at_slow).toBe(1);
    expect(r.total.at_walk_reads).toBe(4);
    expect(r.total.at_faults).toBe(4);
  });

  it('with the guest stage-1 MMU off (--guest-levels 0), AT S1E0R succeeds: one check, then the slow path to build the PAN fault', async () => {
    const r = await replayText(`${HEADER}0,AT,0x1000,,S1E1WP\n`, { backing: '4k' }, GIB);
    expect(r.total.at_pan_checks).toBe(1);
    expect(r.total.at_slow).toBe(1);
    // MMU off: handle_at_slow reads no descriptor (S1_MMU_DISABLED).
    expect(r.total.at_walk_reads).toBe(0);
  });

  it('the non-PAN forms make no EL0 translation', async () => {
    const r = await replayText(`${HEADER}0,AT,0x1000,,S1E1R\n0,AT,0x1000,,S1E1W\n0,AT,0x1000,,S1E2R\n`, { ...FOUR_LEVELS, prefault: 'all' }, GIB);
    expect(r.total.at_pan_checks).toBe(0);
  });
});
