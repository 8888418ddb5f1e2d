/**
 * `prefault_pages_unused`: the 4 KiB frames pre-fault newly mapped
 * (`prefault_pages`) that no guest access touched afterwards, to the end of
 * the trace; VM-wide. Hand-checked on tiny traces, at 4K backing (512 leaves
 * for 2 MiB) and 2M backing (one leaf whose frames later accesses reach
 * through the TLB's fast path), from `--prefault` and from PREFAULT rows.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const rows = (...lines: string[]): string => ['vcpu,op,gpa,size', ...lines].join('\n');
/** Frames 0x1 (read, then written), 0x5 and 0x1ff (a fetch) of the first 2 MiB: three frames, one touched twice. */
const THREE_TOUCHED = rows('0,R,0x1000,8', '0,W,0x1008,8', '0,R,0x5000,8', '0,X,0x1ff000,4');

describe('prefault_pages_unused', () => {
  for (const backing of ['4k', '2m']) {
    it(`--prefault of 2 MiB at ${backing} backing, 3 of its frames touched (one twice): 509`, async () => {
      // 512 frames newly mapped (512 4K leaves or one 2M leaf); frames 0x1, 0x5 and 0x1ff touched: 512 - 3.
      const r = await replayText(THREE_TOUCHED, { backing, prefault: '0x0:0x200000' });
      expect(r.total.prefault_pages).toBe(512);
      expect(r.vm.prefault_pages_unused).toBe(509);
    });
  }

  it('a page-crossing access touches both frames', async () => {
    // An 8-byte read at 0x1ffc spans frames 0x1 and 0x2: 512 - 2.
    const r = await replayText(rows('0,R,0x1ffc,8'), { backing: '4k', prefault: '0x0:0x200000' });
    expect(r.vm.prefault_pages_unused).toBe(510);
  });

  it('no pre-fault: 0', async () => {
    const r = await replayText(THREE_TOUCHED, { backing: '4k' });
    expect([r.total.prefault_pages, r.vm.prefault_pages_unused]).toEqual([0, 0]);
  });

  it('a PREFAULT row after touches: frames already mapped are not newly mapped, touches before it do not count', async () => {
    // 4K backing: the read of frame 0x10 maps it; the row maps the other 511 of [0, 2 MiB) (prefault_pages 511);
    // frame 0x20 was touched before the row only (still unused); then frames 0x10 (not pre-faulted) and 0x30: 511 - 1.
    const csv = rows('0,R,0x10000,8', '0,R,0x20000,8', '0,UNMAP,0x20000,0x1000', '0,PREFAULT,0x0,0x200000', '0,R,0x10000,8', '0,R,0x30000,8');
    const r = await replayText(csv, { backing: '4k' });
    expect(r.total.prefault_pages).toBe(511);
    expect(r.vm.prefault_pages_unused).toBe(510);
  });

  it('2M backing: a PREFAULT row over a mapped 2M leaf maps nothing new; one over a fresh 2 MiB maps 512', async () => {
    // The read maps the 2M leaf at 0; the first row finds it (0 new); the second maps [2 MiB, 4 MiB): 512, one touched.
    const csv = rows('0,R,0x10000,8', '0,PREFAULT,0x0,0x200000', '0,PREFAULT,0x200000,0x200000', '0,R,0x210000,8', '0,R,0x20000,8');
    const r = await replayText(csv, { backing: '2m' });
    expect(r.total.prefault_pages).toBe(512);
    expect(r.vm.prefault_pages_unused).toBe(511);
  });

  it('a pre-faulted frame unmapped before any touch stays unused; pre-faulted again, each mapping counts', async () => {
    // --prefault maps 512 frames; UNMAP of the first 1 MiB (256 frames) untouched; the row maps those 256 again
    // (prefault_pages 768); one of them (0x10) and one of the rest (0x110) are touched afterwards. Unused: the
    // first mappings of the 256 (for nothing, 256) + 512 - 2 untouched now = 766.
    const csv = rows('0,UNMAP,0x0,0x100000', '0,PREFAULT,0x0,0x100000', '0,R,0x10000,8', '0,R,0x110000,8');
    const r = await replayText(csv, { backing: '4k', prefault: '0x0:0x200000' });
    expect(r.total.prefault_pages).toBe(768);
    expect(r.vm.prefault_pages_unused).toBe(766);
  });

  it('a PREFAULT row over a 2M frame holding 4K leaves: only the frames they did not map are newly mapped', async () => {
    // Dirty logging maps the writes of frames 0x1 and 0x5 at 4K; turned off with `keep`, the leaves stay. The
    // row's step at frame 0 (unmapped) replaces them by a 2M leaf: 512 - 2 frames newly mapped, none touched since.
    const csv = [
      'vcpu,op,gpa,size,x_slot',
      '0,DIRTY_LOG_ON,0x0,,0',
      '0,W,0x1000,8,',
      '0,W,0x5000,8,',
      '0,DIRTY_LOG_OFF,0x0,,0',
      '0,PREFAULT,0x0,0x200000,',
    ].join('\n');
    const r = await replayText(csv, { backing: '2m', dirtyLogOff: 'keep' }, [{ id: 0, gpa: 0, sizeBytes: 1 << 30 }]);
    expect([r.vm.pages_2m, r.vm.pages_4k]).toEqual([1, 0]);
    expect(r.total.prefault_pages).toBe(510);
    expect(r.vm.prefault_pages_unused).toBe(510);
  });

  it('a pre-faulted frame unmapped, then touched (a new fault) counts as used', async () => {
    // UNMAP of frame 0x10, then a read of it: a demand fault maps it again and the guest uses it: 512 - 1.
    const r = await replayText(rows('0,UNMAP,0x10000,0x1000', '0,R,0x10000,8'), { backing: '4k', prefault: '0x0:0x200000' });
    expect([r.total.faults_missing, r.vm.prefault_pages_unused]).toEqual([1, 511]);
  });
});
