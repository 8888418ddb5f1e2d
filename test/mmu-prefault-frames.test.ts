/**
 * `PrefaultFrames`, the paged bitmap behind `prefault_pages_unused`: marks
 * and touches across 32-bit words and 32768-frame pages, a frame marked
 * again while still set counting once more (retired), touches of frames
 * never marked or on pages never allocated changing nothing.
 */
import { describe, expect, it } from 'vitest';
import { PrefaultFrames } from '../src/mmu/prefaultFrames.js';

describe('PrefaultFrames', () => {
  it('marks and touches across words and pages, counting re-marks once more', () => {
    const frames = new PrefaultFrames();
    expect(frames.empty).toBe(true);
    frames.mark(30, 40); // frames 30..69: across words 0, 1 and 2
    expect(frames.unused).toBe(40);
    frames.touch(31, 32); // two frames
    frames.touch(31, 31); // already touched: nothing
    expect(frames.unused).toBe(38);
    frames.mark(60, 5); // 60..64 still set: each mapped for nothing once more (5 retired), still 38 set
    expect(frames.unused).toBe(43);
    frames.mark(31, 1); // touched before: set again, not retired
    expect(frames.unused).toBe(44);
    frames.mark(32767, 2); // last frame of page 0 and first of page 1
    expect(frames.unused).toBe(46);
    frames.touch(32767, 32768);
    frames.touch(5 << 20, (5 << 20) + 3); // a page never allocated
    frames.touch(0, 29); // frames never marked
    expect(frames.unused).toBe(44);
    frames.touch(0, 100); // everything still set: 39 frames; the 5 retired stay
    expect([frames.empty, frames.unused]).toEqual([true, 5]);
  });

  it('marks a single frame (a 4K step) as a range of one: again while set, it counts once more', () => {
    const frames = new PrefaultFrames();
    frames.mark(33, 1); // word 1, bit 1
    frames.mark(31, 1); // word 0, bit 31 (the sign bit of an int32)
    frames.mark(33, 1); // still set: retired
    expect(frames.unused).toBe(3);
    frames.touch(31, 33); // frames 31 and 33 (32 never marked)
    expect([frames.empty, frames.unused]).toEqual([true, 1]);
  });

  it('keeps frames above 512 GiB (bitmap pages past the flat array) and on both sides of that line', () => {
    const frames = new PrefaultFrames();
    const line = 4096 * 32768; // first frame of bitmap page 4096: 512 GiB / 4 KiB
    frames.mark(line - 1, 2); // the last low frame and the first high one
    frames.mark(2 ** 38, 3); // a 1 PiB guest address
    expect(frames.unused).toBe(5);
    frames.touch(line, line); // high page
    frames.touch(2 ** 38 + 1, 2 ** 38 + 5); // two of its three, then frames never marked
    expect(frames.unused).toBe(2);
    frames.touch(line - 1, line - 1); // low page
    frames.touch(2 ** 38, 2 ** 38);
    expect(frames.empty).toBe(true);
  });

  it('logs each mark when asked (per-vCPU workers)', () => {
    const frames = new PrefaultFrames();
    frames.log = [];
    frames.mark(512, 512);
    frames.mark(7, 0); // nothing
    expect(frames.log).toEqual([512, 512]);
  });

  it('needs no pass once only frames past the touch limit are set; they stay unused', () => {
    const frames = new PrefaultFrames();
    frames.limitTouches(100); // no access touches frame 100 or above
    frames.mark(90, 20); // 90..99 touchable, 100..109 not
    frames.mark(200, 1); // a 4K step past the limit
    expect([frames.empty, frames.unused]).toEqual([false, 21]);
    frames.touch(90, 98); // 9 of the 10 touchable frames
    expect([frames.empty, frames.unused]).toEqual([false, 12]);
    frames.mark(99, 1); // still set: retired, still one touchable bit
    frames.touch(99, 99);
    // 10 + 1 frames past the limit set, plus frame 99's first mapping retired
    expect([frames.empty, frames.unused]).toEqual([true, 12]);
    frames.mark(50, 1); // a touchable frame again: a pass is needed
    expect(frames.empty).toBe(false);
  });

  it('refuses a touch limit after a mark (the bits below it would not be counted)', () => {
    const frames = new PrefaultFrames();
    frames.mark(1, 1);
    expect(() => frames.limitTouches(10)).toThrow('limitTouches after a mark');
  });
});
