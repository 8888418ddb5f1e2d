/**
 * GPA and GFN arithmetic. GPAs reach 52 bits, beyond 32-bit integer
 * operators, so they are kept as doubles (exact up to 2^53) and divided, never
 * shifted. This file is the one place that makes that choice.
 */
import { PAGE_SIZE_BYTES } from './level.js';

/** Largest guest-physical address width modelled (x86 MAXPHYADDR, arm64 LPA). */
export const MAX_GPA_BITS = 52;
/** First GPA beyond the modelled address space: 2^52. */
export const GPA_LIMIT = 2 ** MAX_GPA_BITS;

/** GFN of the 4 KiB frame holding `gpa`. */
export function gpaToGfn(gpa: number): number {
  return Math.floor(gpa / PAGE_SIZE_BYTES);
}

/** First GPA of frame `gfn`. */
export function gfnToGpa(gfn: number): number {
  return gfn * PAGE_SIZE_BYTES;
}
