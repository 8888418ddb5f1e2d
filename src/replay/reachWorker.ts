/**
 * The worker thread of a ReachRing (reachRing.ts): applies each slot's
 * operations to its feed's curve, in the order the slots were written, until
 * the producer says the end and the ring is empty; then writes every curve's
 * misses and state DONE. A failure is written as state FAILED with its
 * message (errors travel as data).
 */
import { workerData } from 'node:worker_threads';
import { REACH_SIZES, ReachCurve } from '../tlb/reachCurve.js';
import { applyReachOps } from '../tlb/reachOps.js';
import {
  ERROR_BYTES,
  READ_SEQ,
  SLOT_COUNT,
  SLOT_FEED,
  SLOT_OPS,
  SLOT_TOP_HITS,
  STATE,
  STATE_DONE,
  STATE_END,
  STATE_FAILED,
  WRITE_SEQ,
  ringLayout,
  slotBase,
} from './reachRing.js';

const { buffer, feeds } = workerData as { buffer: SharedArrayBuffer; feeds: number };
const { ctrl, slots, results, error } = ringLayout(buffer, feeds, REACH_SIZES.length);

try {
  const curves = Array.from({ length: feeds }, () => new ReachCurve());
  let read = 0;
  for (;;) {
    const written = Atomics.load(ctrl, WRITE_SEQ);
    if (read === written) {
      // The end counts once every slot written before it is applied.
      if (Atomics.load(ctrl, STATE) === STATE_END && Atomics.load(ctrl, WRITE_SEQ) === read) break;
      Atomics.wait(ctrl, WRITE_SEQ, written, 1_000);
      continue;
    }
    const base = slotBase(read);
    const curve = curves[slots[base + SLOT_FEED]];
    applyReachOps(curve, slots, base + SLOT_OPS, base + SLOT_OPS + slots[base + SLOT_COUNT]);
    curve.hitsAtTop(slots[base + SLOT_TOP_HITS]);
    Atomics.store(ctrl, READ_SEQ, ++read);
    Atomics.notify(ctrl, READ_SEQ);
  }
  curves.forEach((curve, feed) => {
    results.set(curve.curve().misses, feed * REACH_SIZES.length);
  });
  Atomics.store(ctrl, STATE, STATE_DONE);
} catch (failure) {
  const bytes = new TextEncoder().encode(failure instanceof Error ? failure.message : String(failure)).subarray(0, error.length);
  error.set(bytes);
  Atomics.store(ctrl, ERROR_BYTES, bytes.length);
  Atomics.store(ctrl, STATE, STATE_FAILED);
}
Atomics.notify(ctrl, STATE);
Atomics.notify(ctrl, READ_SEQ);
