/**
 * Copy-on-write VM_PFNMAP memslots (seed 004): merged upstream has no COW
 * check (neither `kvm_arch_prepare_memory_region` nor `user_mem_abort` calls
 * `is_cow_mapping`), so `--cow-pfnmap allow` (the default) maps such a slot;
 * the pages a fault finds there are the anonymous copies (`pfn_is_map_memory`),
 * Normal memory. `--cow-pfnmap refuse` is seed 004 v3's -EINVAL, at registration.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { validateLayout } from '../src/replay/validateLayout.js';
import type { MemslotSpec } from '../src/replay/scenario.js';

const HEADER = 'vcpu,op,gpa,size\n';
const COW: Omit<MemslotSpec, 'source'> = { gpa: 0, sizeBytes: 4 << 20, pfnmap: 'cow' };
const layout = { memslots: [{ ...COW, source: 'vm.json: memslots[0]' }], defaultSlotAlignBytes: 1 << 30 };

describe('copy-on-write VM_PFNMAP memslots (--cow-pfnmap)', () => {
  it('are allowed by default, as merged upstream: a read and a write of two pages map two Normal 4K leaves', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n0,W,0x1000,8\n', { arch: 'arm64', backing: '4k' }, [COW]);
    // Two missing-mapping faults (user_mem_abort), each one Normal leaf (not s2_force_noncacheable).
    expect(r.total.faults_missing).toBe(2);
    expect(r.vm.pages_4k).toBe(2);
    expect(r.vm.pages_normal).toBe(2);
    expect(r.vm.pages_device).toBe(0);
    expect(r.scenario.cowPfnmap).toBe('allow');
  });

  it('are refused at registration with --cow-pfnmap refuse (seed 004 v3)', () => {
    expect(() => validateLayout(parseMatrix({ arch: 'arm64' }), layout)).not.toThrow();
    expect(() => validateLayout(parseMatrix({ arch: 'arm64', cowPfnmap: 'refuse' }), layout)).toThrow(/with --cow-pfnmap refuse \(seed 004 v3/);
  });

  it('a bad value is one message; on x86 the option collapses to allow', () => {
    expect(() => parseMatrix({ cowPfnmap: 'maybe' })).toThrow('--cow-pfnmap: "maybe" is not one of allow, refuse');
    expect(parseMatrix({ arch: 'x86-tdp', cowPfnmap: 'refuse', prefault: 'none' }).map((sc) => sc.cowPfnmap)).toEqual(['allow']);
    expect(parseMatrix({ arch: 'arm64', cowPfnmap: 'refuse', prefault: 'none' }).map((sc) => sc.name)).toEqual([expect.stringContaining('cow-pfnmap=refuse')]);
  });
});
