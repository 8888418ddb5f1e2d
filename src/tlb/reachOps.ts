/**
 * A reach curve's operations (src/tlb/reachCurve.ts) as a stream of
 * doubles, so that they can be buffered and applied later, in order, on
 * this thread or on another (src/replay/reachRing.ts): the curve is the same
 * as if each had been applied at once.
 *
 * Encoding, one operation after another:
 * - a tag (>= 0): `lookup(tag, true)`;
 * - `OP_LOOKUP_NO_PERM`, tag: `lookup(tag, false)`;
 * - `OP_MISS_NO_FILL`: `missWithoutFill()`;
 * - `OP_INVALIDATE_ALL`: `invalidateAll()`;
 * - `OP_INVALIDATE_RANGE`, startGfn, endGfn: `invalidateRange(startGfn, endGfn)`.
 * A hit at top needs no slot: it changes no position, so a count of them
 * is added whenever (`ReachCurve.hitsAtTop`).
 */
import type { ReachCurve } from './reachCurve.js';

export const OP_LOOKUP_NO_PERM = -1;
export const OP_MISS_NO_FILL = -2;
export const OP_INVALIDATE_ALL = -3;
export const OP_INVALIDATE_RANGE = -4;
/** The most doubles one operation takes. */
export const MAX_OP_WORDS = 3;

/** Apply the operations in `ops[start, end)` to `curve`, in order. */
export function applyReachOps(curve: ReachCurve, ops: Float64Array, start: number, end: number): void {
  let i = start;
  while (i < end) {
    const op = ops[i];
    if (op >= 0) {
      curve.lookup(op, true);
      i++;
    } else if (op === OP_LOOKUP_NO_PERM) {
      curve.lookup(ops[i + 1], false);
      i += 2;
    } else if (op === OP_MISS_NO_FILL) {
      curve.missWithoutFill();
      i++;
    } else if (op === OP_INVALIDATE_ALL) {
      curve.invalidateAll();
      i++;
    } else if (op === OP_INVALIDATE_RANGE) {
      curve.invalidateRange(ops[i + 1], ops[i + 2]);
      i += 3;
    } else {
      throw new RangeError(`reach ops: unknown operation ${op} at ${i}`);
    }
  }
}
