/**
 * GPA "stolen" bits (seed 001, upstream TDX `gfn_direct_bits`/shared bit):
 * bits above the guest's address width that select an alias instead of
 * addressing memory. `gfn = (gpa >> 12) & ~mask`; the alias with the bits set
 * has its own page-table pages and its own TLB entries.
 *
 * GFNs exceed 32 bits, so bits are tested arithmetically, not with `&`.
 */
import { PAGE_SHIFT } from './level.js';

export class StolenBits {
  /** GPA bit numbers, ascending. */
  readonly gpaBits: readonly number[];
  /** The value of all stolen bits in GFN units (what `gfn | mask` adds). */
  readonly gfnMask: number;
  /** Lowest stolen GPA bit, or Infinity when none: GFNs used by memory must stay below `2^(lowest - 12)`. */
  readonly lowestGpaBit: number;
  /** `2^(lowestGpaBit - 12)`: GFNs below it have no stolen bit set (Infinity when none). */
  readonly lowestGfnWeight: number;

  constructor(gpaBits: readonly number[]) {
    this.gpaBits = [...gpaBits].sort((a, b) => a - b);
    this.gfnMask = this.gpaBits.reduce((sum, bit) => sum + 2 ** (bit - PAGE_SHIFT), 0);
    this.lowestGpaBit = this.gpaBits.length > 0 ? this.gpaBits[0] : Infinity;
    this.lowestGfnWeight = 2 ** (this.lowestGpaBit - PAGE_SHIFT);
  }

  /** True when the VM has any stolen bit. */
  get any(): boolean {
    return this.gpaBits.length > 0;
  }

  /** `rawGfn` with every stolen bit cleared. */
  strip(rawGfn: number): number {
    if (rawGfn < this.lowestGfnWeight) return rawGfn; // below every stolen bit: nothing to clear (the common case)
    let gfn = rawGfn;
    for (const bit of this.gpaBits) {
      const weight = 2 ** (bit - PAGE_SHIFT);
      if (Math.floor(gfn / weight) % 2 === 1) gfn -= weight;
    }
    return gfn;
  }

  /** The GFN as seen through the alias: every stolen bit set. */
  alias(gfn: number): number {
    return gfn + this.gfnMask;
  }
}

/** Parse `--stolen-bits`: `none`, a GPA bit number (12..51), or a `0x` mask of GPA bits. */
export function parseStolenBits(text: string): number[] | string {
  if (text === 'none') return [];
  if (/^[0-9]+$/.test(text)) {
    const bit = Number(text);
    if (bit < 12 || bit > 51) return `"${text}" is not a GPA bit from 12 to 51`;
    return [bit];
  }
  if (/^0x[0-9a-f]+$/i.test(text)) {
    const digits = text.slice(2).replace(/^0+/, '');
    if (digits.length > 13) return `"${text}" has bits beyond GPA bit 51`;
    const bits: number[] = [];
    let value = BigInt(text);
    for (let bit = 0; value > 0n; bit++, value >>= 1n) {
      if (value & 1n) bits.push(bit);
    }
    if (bits.length === 0) return `"${text}" has no bit set (use none)`;
    if (bits[0] < 12) return `"${text}" has bits below GPA bit 12, inside the page offset`;
    return bits;
  }
  return `"${text}" is not none, a GPA bit number or a 0x mask`;
}
