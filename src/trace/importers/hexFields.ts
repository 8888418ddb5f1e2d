/**
 * Hex fields as kernels and valgrind print them: digits with or without a
 * `0x` prefix. Values reach 64 bits, beyond what a double holds exactly, so
 * callers ask either for a value that must fit below 2^52 (addresses, GFNs)
 * or for the low 32 bits (error codes, ESRs, SPTE flag bits).
 */
import { GPA_LIMIT } from '../../mmu/address.js';

const HEX_DIGITS = /^[0-9a-fA-F]+$/;

/** Strip one `0x`/`0X` prefix. */
function digitsOf(text: string): string {
  return text.length > 2 && text[0] === '0' && (text[1] === 'x' || text[1] === 'X') ? text.slice(2) : text;
}

/** The value of a hex field when it is below 2^52; undefined when it is not hex or too large. */
export function hexBelow52Bits(text: string): number | undefined {
  const digits = digitsOf(text);
  if (!HEX_DIGITS.test(digits)) return undefined;
  const significant = digits.replace(/^0+/, '');
  if (significant.length > 13) return undefined;
  const value = significant === '' ? 0 : parseInt(significant, 16);
  return value < GPA_LIMIT ? value : undefined;
}

/** The low 32 bits of a hex field (any length), as an unsigned integer; undefined when it is not hex. */
export function hexLow32(text: string): number | undefined {
  const digits = digitsOf(text);
  if (!HEX_DIGITS.test(digits)) return undefined;
  return parseInt(digits.slice(-8), 16) >>> 0;
}

/** Hex digit value per byte, -1 for other bytes (for importers that parse lines from their bytes). */
export const HEX_VALUE = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX_VALUE[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX_VALUE[0x41 + c] = 10 + c;
  HEX_VALUE[0x61 + c] = 10 + c;
}

/** `hexBytes` result: the bytes are not 1 to 16 hex digits. */
export const NOT_HEX = -1;
/** `hexBytes` result: valid hex, but at or beyond 2^52. */
export const HEX_TOO_LARGE = -2;

/**
 * The value of the hex digits `buf[start, end)` (no prefix) when it is below
 * 2^52; `NOT_HEX` or `HEX_TOO_LARGE` otherwise. Up to 16 digits are read
 * exactly (as two 32-bit halves), so a 64-bit value is never rounded into range.
 */
export function hexBytes(buf: Uint8Array, start: number, end: number): number {
  const digits = end - start;
  if (digits < 1 || digits > 16) return NOT_HEX;
  const lowStart = end - Math.min(8, digits);
  let high = 0;
  let low = 0;
  for (let k = start; k < end; k++) {
    const d = HEX_VALUE[buf[k]];
    if (d < 0) return NOT_HEX;
    if (k < lowStart) high = high * 16 + d;
    else low = low * 16 + d;
  }
  if (high >= 2 ** 20) return HEX_TOO_LARGE;
  return high * 2 ** 32 + low;
}
