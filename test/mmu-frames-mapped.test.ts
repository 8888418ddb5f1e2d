/**
 * `framesMapped`: the 4 KiB frames the counted leaves map, one sum for
 * `Vm.mappedFrames` (pre-fault's `prefault_pages`) and a per-vCPU cell's
 * `frames_mapped`.
 */
import { describe, expect, it } from 'vitest';
import { framesMapped } from '../src/mmu/stats.js';

describe('framesMapped', () => {
  it('3 4K leaves, 2 2M leaves and 1 1G leaf map 3 + 2 x 512 + 512 x 512 frames', () => {
    expect(framesMapped({ pages_4k: 3, pages_2m: 2, pages_1g: 1 })).toBe(3 + 1024 + 262144);
  });
});
