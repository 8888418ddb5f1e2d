/**
 * A trace's touched end: the first byte beyond every range its events name,
 * memslot ops aside (docs/trace-format.md, header offset 32). It sizes the
 * default memslot (src/replay/openCell.ts), so every reader and writer
 * computes it by this one rule: the CSV checker (csvRows.ts), the in-memory
 * importer (importTrace.ts), the `.mtr` writer, which derives it from the
 * events it writes (for the `.mtr` importer and the bench's traces) and
 * checks a header it is given, the reader's check of a file's header
 * (binaryTraceWriter.ts, mtrChunkReader.ts) and the stolen-bit variant of
 * openCell.ts.
 */
import { GPA_LIMIT } from '../mmu/address.js';
import { Op } from './ops.js';

/**
 * Per op code: 1 when the event's range counts. Memslot changes and the
 * dirty-logging switches name a memslot, not guest memory the trace touches;
 * DIRTY_LOG_GET and DIRTY_LOG_CLEAR count (their range lies in a slot anyway).
 */
const COUNTS = new Uint8Array(256).fill(1);
for (const op of [Op.SLOT_ADD, Op.SLOT_DEL, Op.DIRTY_LOG_ON, Op.DIRTY_LOG_OFF]) COUNTS[op] = 0;

/** True when an event of `op` counts in the touched end. */
export function countsForTouchedEnd(op: number): boolean {
  return COUNTS[op] !== 0;
}

/** End of the range an event counts for the touched end: `[gpa, gpa + max(1, sizeBytes))`, at most 2^52. */
export function eventEndGpa(gpa: number, sizeBytes: number): number {
  return Math.min(GPA_LIMIT, gpa + Math.max(1, sizeBytes));
}

/**
 * True when an event at `gpa` of `sizeBytes` ends beyond `touchedEndGpa`
 * (below 2^52): `eventEndGpa` > the touched end, without the max: for a size
 * of 1 or more the first test decides, for size 0 the second.
 */
function endsBeyond(gpa: number, sizeBytes: number, touchedEndGpa: number): boolean {
  return gpa + sizeBytes > touchedEndGpa || gpa >= touchedEndGpa;
}

/** The columns `firstEventBeyond` reads. */
export interface RangeColumns {
  op: Uint8Array;
  gpa: Float64Array;
  sizeBytes: Float64Array;
}

/**
 * Index of the first of events [start, end) of `ev` that counts and ends
 * beyond `touchedEndGpa` (a header that would not cover it), or -1. One
 * loop, no call: it runs on the chunks of an `.mtr` file whose ops or sizes
 * vary (chunkCodec.ts `checkEvents`).
 */
export function firstEventBeyond(ev: RangeColumns, start: number, end: number, touchedEndGpa: number): number {
  if (touchedEndGpa >= GPA_LIMIT) return -1; // every end is capped there (eventEndGpa)
  const { op, gpa, sizeBytes } = ev;
  for (let i = start; i < end; i++) if (endsBeyond(gpa[i], sizeBytes[i], touchedEndGpa) && COUNTS[op[i]] !== 0) return i;
  return -1;
}

/**
 * The touched end of events [start, end) of `ev`: the highest `eventEndGpa`
 * of those that count, or 0 when none does. The cap at 2^52 is taken once,
 * after the loop (the highest of capped ends is the capped highest), and
 * the op only when an end is a new highest (1.7 ns an event here).
 */
export function touchedEndOf(ev: RangeColumns, start: number, end: number): number {
  const { op, gpa, sizeBytes } = ev;
  let max = 0;
  for (let i = start; i < end; i++) {
    const e = gpa[i] + Math.max(1, sizeBytes[i]);
    if (e > max && COUNTS[op[i]] !== 0) max = e;
  }
  return Math.min(GPA_LIMIT, max);
}

/**
 * True when sizes [start, end) of `ev` are all integers from 0 to 2^52 and
 * no event ends beyond `touchedEndGpa` (below 2^52), every op counting (no
 * op names a memslot): chunkCodec.ts's size pass and this check in one loop.
 */
export function sizesValidWithin(ev: RangeColumns, start: number, end: number, touchedEndGpa: number): boolean {
  const { gpa, sizeBytes } = ev;
  for (let i = start; i < end; i++) {
    const s = sizeBytes[i];
    if (!(s >= 0 && s <= GPA_LIMIT && Math.floor(s) === s) || endsBeyond(gpa[i], s, touchedEndGpa)) return false;
  }
  return true;
}
