import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { validateLayout } from '../src/replay/validateLayout.js';
import type { MemslotSpec } from '../src/replay/scenario.js';

const HEADER = 'vcpu,op,gpa,size\n';
const slot = (over: Partial<MemslotSpec>): MemslotSpec => ({ gpa: 0, sizeBytes: 4 << 20, source: 'vm.json: memslots[0]', ...over });
const layout = (over: Partial<MemslotSpec>) => ({ memslots: [slot(over)], defaultSlotAlignBytes: 1 << 30 });

describe('arm64 stage-2 and PFNMAP memory (seed 004)', () => {
  it('device PFNMAP memory maps with the Device type; an exec there injects an abort (mmu-arm64-exec-abort)', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n0,X,0x1000,4\n', { arch: 'arm64', backing: '4k' }, [{ gpa: 0, sizeBytes: 4 << 20, pfnmap: 'device' }]);
    expect(r.vm.pages_device).toBe(1);
    expect(r.vm.pages_normal).toBe(0);
    expect(r.total.faults_mmio).toBe(0);
    expect(r.total.faults_abort).toBe(1);
  });

  it('cacheable device memory with FWB maps Normal', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n', { arch: 'arm64', backing: '4k' }, [{ gpa: 0, sizeBytes: 4 << 20, pfnmap: 'normal' }]);
    expect(r.vm.pages_normal).toBe(1);
  });

  it('a COW PFNMAP memslot is refused when declared with --cow-pfnmap refuse (mmu-cow-pfnmap)', () => {
    expect(() => validateLayout(parseMatrix({ arch: 'arm64', cowPfnmap: 'refuse' }), layout({ pfnmap: 'cow' }))).toThrow(
      'vm.json: memslots[0]: memslot 0: a copy-on-write VM_PFNMAP mapping cannot back a memslot with --cow-pfnmap refuse (seed 004 v3: user_mem_abort refuses COW PFNMAP with -EINVAL) (arch arm64)',
    );
  });

  it('cacheable device memory without FWB or CACHE DIC is refused when declared (kvm_supports_cacheable_pfnmap)', () => {
    expect(() => validateLayout(parseMatrix({ arch: 'arm64', fwb: 'off' }), layout({ pfnmap: 'normal' }))).toThrow(/needs stage-2 FWB/);
    // kvm_supports_cacheable_pfnmap() also needs CACHE DIC: --dic off refuses the slot with FWB on.
    expect(() => validateLayout(parseMatrix({ arch: 'arm64', dic: 'off' }), layout({ pfnmap: 'normal' }))).toThrow(/needs stage-2 FWB and CACHE DIC/);
    expect(() => validateLayout(parseMatrix({ arch: 'arm64' }), layout({ pfnmap: 'normal' }))).not.toThrow();
    expect(() => parseMatrix({ dic: 'maybe' })).toThrow('--dic: "maybe" is not one of on, off');
    // Not applicable on x86: collapses to on.
    expect(parseMatrix({ arch: 'x86-tdp', dic: 'off', prefault: 'none' }).map((sc) => sc.dic)).toEqual([true]);
  });

  it('arm64 maps executable only on exec faults: exec after a read is a permission fault', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n0,X,0x0,4\n', { arch: 'arm64', backing: '4k' }, [{ gpa: 0, sizeBytes: 4 << 20 }]);
    expect(r.total.faults_missing).toBe(1);
    expect(r.total.faults_permission).toBe(1);
  });

  it('a memslot reaching the TDX shared bit is refused', () => {
    expect(() => validateLayout(parseMatrix({ arch: 'x86-tdx' }), layout({ gpa: 2 ** 47 - 4096, sizeBytes: 8192 }))).toThrow(
      /reaches GPA bit 47, a stolen bit/,
    );
  });
});
