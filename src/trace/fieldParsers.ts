/**
 * Parsers for trace cells. Each returns the value or a string saying what was
 * expected; the reader adds file, line and column.
 */
import { GPA_LIMIT } from '../mmu/address.js';

const HEX = /^0[xX][0-9a-fA-F]+$/;
const DEC = /^[0-9]+$/;

/** Largest vCPU id accepted (x86 KVM_MAX_VCPU_IDS is 4096). */
export const MAX_VCPU_ID = 4095;

/** `0x`-prefixed hex or decimal address below 2^52. */
export function parseAddress(text: string, what = 'address'): number | string {
  let value: number;
  if (HEX.test(text)) {
    const digits = text.slice(2).replace(/^0+/, '');
    if (digits.length > 13) return `"${text}" is beyond the 52-bit ${what} limit`;
    value = digits === '' ? 0 : parseInt(digits, 16);
  } else if (DEC.test(text)) {
    if (text.length > 16) return `"${text}" is beyond the 52-bit ${what} limit`;
    value = Number(text);
  } else {
    return `"${text}" is not a hex or decimal ${what}`;
  }
  if (value >= GPA_LIMIT) return `"${text}" is beyond the 52-bit ${what} limit`;
  return value;
}

/** Non-negative decimal integer no larger than `max`. */
export function parseCount(text: string, what: string, max: number): number | string {
  if (!DEC.test(text)) return `"${text}" is not a non-negative integer ${what}`;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value > max) return `"${text}" is larger than ${max}`;
  return value;
}
