/** popcount (src/mmu/popcount.ts): the one set-bit count of the dirty bitmap and the pre-faulted frames. */
import { describe, expect, it } from 'vitest';
import { popcount } from '../src/mmu/popcount.js';

describe('popcount', () => {
  it('counts the set bits of a 32-bit word, the sign bit included', () => {
    expect(popcount(0)).toBe(0);
    expect(popcount(0xffffffff), 'every bit').toBe(32);
    expect(popcount(-1), 'the same word as a signed int').toBe(32);
    expect(popcount(0x80000001), 'the two end bits').toBe(2);
    // 0x12345678: nibbles 1,2,3,4,5,6,7,8 hold 1+1+2+1+2+2+3+1 bits
    expect(popcount(0x12345678)).toBe(13);
  });
});
