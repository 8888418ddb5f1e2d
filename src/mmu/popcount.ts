/**
 * Set bits of a 32-bit word (the SWAR count, as the kernel's
 * `hweight32`): the one count of the model's bitmaps (the dirty bitmap,
 * the pre-faulted frames).
 */
export function popcount(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
