import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

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

  it('x86-tdp private (guest_memfd) memory maps 2M even on 4K host backing, counted private', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8\n', { backing: '4k', maxLevel: '2m' }, [{ gpa: 0, sizeBytes: 4 << 20, private: true }]);
    expect(r.vm.pages_2m).toBe(1);
    expect(r.vm.pages_private).toBe(1);
    expect(r.vm.pages_shared).toBe(0);
  });
});
