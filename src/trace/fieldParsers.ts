/**
 * Parsers for trace cells. Each returns the value or a string saying what was
 * expected; the reader adds file, line and column.
 *
 * They run once per cell of multi-million-row traces, so they scan char codes
 * in one pass instead of regex + slice + parseInt (no allocation on the valid
 * path). The accepted grammar and every message are those of the original
 * regex forms `^0[xX][0-9a-fA-F]+$` and `^[0-9]+$`.
 */
import { GPA_LIMIT } from '../mmu/address.js';

/** Largest vCPU id accepted (x86 KVM_MAX_VCPU_IDS is 4096). */
export const MAX_VCPU_ID = 4095;

/** Hex digits after stripping leading zeros that still fit below 2^52. */
const MAX_HEX_DIGITS = 13;
/** Decimal text longer than this is rejected as beyond 2^52 without evaluating it. */
const MAX_DEC_DIGITS = 16;

/** Value of hex digit `code`, or -1. */
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  const lower = code | 0x20; // A-F and a-f share their low 5 bits
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/**
 * Decimal value of `text`, or -1 when it is empty or has a non-digit. Exact
 * below 2^53; larger values come out ≥ 2^53 (rounding never crosses a
 * representable power of two downwards), which every caller rejects.
 */
function decimalValue(text: string): number {
  const length = text.length;
  if (length === 0) return -1;
  let value = 0;
  for (let i = 0; i < length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** `0x`-prefixed hex or decimal address below 2^52. */
export function parseAddress(text: string, what = 'address'): number | string {
  const length = text.length;
  if (length > 2 && text.charCodeAt(0) === 48 && (text.charCodeAt(1) | 0x20) === 120) {
    // 1. Hex: every char after "0x" must be a digit; leading zeros do not count towards the 13.
    let value = 0;
    let significant = 0;
    let valid = true;
    for (let i = 2; i < length; i++) {
      const digit = hexDigit(text.charCodeAt(i));
      if (digit < 0) {
        valid = false;
        break;
      }
      if (significant > 0 || digit !== 0) {
        significant++;
        value = value * 16 + digit;
      }
    }
    if (valid) return significant > MAX_HEX_DIGITS ? `"${text}" is beyond the 52-bit ${what} limit` : value;
  }
  // 2. Decimal (also reached by "0x…" text with a non-hex char, which then fails here).
  const value = decimalValue(text);
  if (value < 0) return `"${text}" is not a hex or decimal ${what}`;
  if (length > MAX_DEC_DIGITS || value >= GPA_LIMIT) return `"${text}" is beyond the 52-bit ${what} limit`;
  return value;
}

/** Non-negative decimal integer no larger than `max`. */
export function parseCount(text: string, what: string, max: number): number | string {
  const value = decimalValue(text);
  if (value < 0) return `"${text}" is not a non-negative integer ${what}`;
  if (!Number.isSafeInteger(value) || value > max) return `"${text}" is larger than ${max}`;
  return value;
}
