/**
 * `prefault_pages_unused`: the guest accesses of a batch touch the frames
 * they span in the VM's `PrefaultFrames` (src/mmu/prefaultFrames.ts). A pass
 * of its own over the batch's gpa/size columns, run before the batch only
 * while some pre-faulted frame is untouched, so the replay loop
 * (engine.ts) carries no per-access work for it, and a run without
 * pre-fault (or once every pre-faulted frame is touched) none at all.
 * Exact: a huge leaf's frames touched only through the TLB's fast path are
 * touched here all the same.
 */
import { Op } from '../trace/ops.js';
import type { TraceEvents } from '../trace/traceEvents.js';
import type { PrefaultFrames } from '../mmu/prefaultFrames.js';
import type { StolenBits } from '../mmu/stolenBits.js';
import { FRAMES_PER_BYTE } from './vcpuAccessPath.js';

/**
 * `FRAMES_PER_BYTE` (the access path's: the frame by a multiply, no divide)
 * in a constant of this module: an imported binding is loaded and checked at
 * each use (docs/benchmarks.md, "Imported constants").
 */
const FRAMES_PER_BYTE_HERE = FRAMES_PER_BYTE;
/** Highest op code that is a guest access (`Op.X`), in a constant of this module for the same reason. */
const MAX_ACCESS_OP = Op.X;

/**
 * Touch the frames of the guest accesses of events [start, stop), up to the
 * first other event (`pastHostEvents`: skipping other events instead, for a
 * whole-trace pass whose pre-faults are marked by the caller).
 */
export function touchPrefaulted(frames: PrefaultFrames, stolen: StolenBits, ev: TraceEvents, start: number, stop: number, pastHostEvents = false): void {
  const { op: ops, gpa: gpas, sizeBytes: sizes } = ev;
  const strip = stolen.any;
  for (let i = start; i < stop && !frames.empty; i++) {
    if (ops[i] > MAX_ACCESS_OP) {
      if (pastHostEvents) continue;
      return;
    }
    const gpa = gpas[i];
    const size = sizes[i];
    let first = Math.floor(gpa * FRAMES_PER_BYTE_HERE);
    let last = size <= 1 ? first : Math.floor((gpa + size - 1) * FRAMES_PER_BYTE_HERE);
    if (strip) {
      first = stolen.strip(first);
      last = stolen.strip(last);
    }
    frames.touch(first, last);
  }
}
