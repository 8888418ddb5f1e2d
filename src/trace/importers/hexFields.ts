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
