import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';
import { parseMatrix } from '../src/replay/parseMatrix.js';

const HEADER = 'vcpu,op,gpa,size\n';

describe('memslot flags', () => {
  it('a write to a read-only slot exits to userspace; a read maps', async () => {
    const r = await replayText(HEADER + '0,W,0x0,8\n0,R,0x0,8\n', { backing: '4k' }, [{ gpa: 0, sizeBytes: 1 << 20, readOnly: true }]);
    expect(r.total.faults_mmio).toBe(1);
    expect(r.total.faults_missing).toBe(1);
    expect(r.vm.pages_4k).toBe(1);
  });

  it('a slot whose host address is misaligned at 2M maps 4K only', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n', { backing: '2m' }, [{ gpa: 0, sizeBytes: 4 << 20, hvaOffsetBytes: 0x1000 }]);
    expect(r.vm.pages_4k).toBe(1);
    expect(r.vm.pages_2m).toBe(0);
  });

  it('a slot with its own backing overrides --backing', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n', { backing: '4k' }, [{ gpa: 0, sizeBytes: 4 << 20, backing: 2 }]);
    expect(r.vm.pages_2m).toBe(1);
  });

  it('x86-tdp private (guest_memfd) memory maps 4K upstream (__kvm_gmem_get_pfn: max_order 0), counted private', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n', { backing: '2m', maxLevel: '2m' }, [{ gpa: 0, sizeBytes: 4 << 20, private: true }]);
    // The slot would allow 2M: guest_memfd's order 0 clamps it (one level_clamps).
    expect([r.vm.pages_2m, r.vm.pages_4k, r.vm.level_clamps]).toEqual([0, 1, 1]);
    expect(r.vm.pages_private).toBe(1);
    expect(r.vm.pages_shared).toBe(0);
  });

  it('--private-huge on: private memory maps 2M even on 4K host backing (the slot level, not the host one)', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n', { backing: '4k', maxLevel: '2m', privateHuge: 'on' }, [{ gpa: 0, sizeBytes: 4 << 20, private: true }]);
    expect([r.vm.pages_2m, r.vm.pages_4k, r.vm.level_clamps]).toEqual([1, 0, 0]);
    expect(r.vm.pages_private).toBe(1);
  });

  it('--private-huge takes off or on (one line otherwise) and collapses to off on x86-tdx and arm64', () => {
    expect(() => parseMatrix({ privateHuge: 'yes' })).toThrow('--private-huge: "yes" is not one of off, on');
    expect(parseMatrix({ arch: 'x86-tdx,arm64,x86-tdp', privateHuge: 'on', prefault: 'none' }).map((s) => s.privateHuge)).toEqual(['off', 'off', 'on']);
  });
});
