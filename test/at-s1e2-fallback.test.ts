import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

/*
 * __kvm_at_s1e2: the hardware AT (as S1E1R/W with HCR_EL2.VM set, the guest
 * hypervisor's own EL2 regime) first; handle_at_slow only when that failed,
 * and not on a stage-1 permission fault. Memslot and tables as in
 * test/at-slow-path.test.ts (root 0x3ffff000 ... PT 0x3fffc000).
 */
const HEADER = 'vcpu,op,gpa,size,x_at\n';
const GIB = [{ gpa: 0, sizeBytes: 1 << 30 }];
const FOUR_LEVELS = { backing: '4k', guestLevels: '4' };

describe('AT emulation: S1E2R/W', () => {
  it('S1E2R succeeds on the fast path while the tables are mapped, falls back once the root is unmapped, then is fast again', async () => {
    const rows = ['0,AT,0x1000,,S1E2R', '0,UNMAP,0x3ffff000,0x1000,', '0,AT,0x1000,,S1E2R', '0,AT,0x1000,,S1E2W'];
    const r = await replayText(`${HEADER}${rows.join('\n')}\n`, { ...FOUR_LEVELS, prefault: 'all' }, GIB);
    expect(r.total.at_ops).toBe(3);
    // 1st: fast. 2nd: the root's stage-2 entry is gone: slow, 4 reads, the root faults back (1). 3rd: fast.
    expect(r.total.at_fast).toBe(2);
    expect(r.total.at_slow).toBe(1);
    expect(r.total.at_walk_reads).toBe(4);
    expect(r.total.at_faults).toBe(1);
    expect(r.total.at_pan_checks).toBe(0);
  });
});
