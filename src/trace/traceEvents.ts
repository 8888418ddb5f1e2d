/**
 * A trace held as parallel typed arrays, one element per event (never one
 * object per row). The arrays live in SharedArrayBuffers so replay workers
 * read them without a copy.
 */
import type { Op } from './ops.js';

export interface TraceEvents {
  /** Number of events. */
  count: number;
  /** `Op` per event. */
  op: Uint8Array;
  vcpu: Uint16Array;
  /** GPA per event: a double holds 52-bit addresses exactly (see mmu/address.ts). */
  gpa: Float64Array;
  /** Size in bytes (1 for accesses without a size column). */
  sizeBytes: Float64Array;
  /** `x_slot`, or -1. */
  slot: Int32Array;
  /** Source line of each event, for located errors during replay. */
  line: Uint32Array;
}

/** A loaded trace and what the run needs to know about it up front. */
export interface Trace {
  /** Path as given on the command line. */
  path: string;
  /** Short name used in reports: the file name without `.csv`. */
  name: string;
  events: TraceEvents;
  /** Highest vCPU id + 1. */
  vcpuCount: number;
  /** First byte beyond every address the trace touches (0 when it touches none). */
  touchedEndGpa: number;
  /** True when the trace creates its own memslots (SLOT_ADD rows). */
  declaresSlots: boolean;
}

type Column = Uint8Array | Uint16Array | Float64Array | Int32Array | Uint32Array;

/** Growable column builder used by readers; `finish` trims into shared memory. */
export class TraceEventsBuilder {
  count = 0;
  private capacity = 1024;
  op: Uint8Array = new Uint8Array(this.capacity);
  vcpu: Uint16Array = new Uint16Array(this.capacity);
  gpa: Float64Array = new Float64Array(this.capacity);
  sizeBytes: Float64Array = new Float64Array(this.capacity);
  slot: Int32Array = new Int32Array(this.capacity);
  line: Uint32Array = new Uint32Array(this.capacity);
  time: Float64Array = new Float64Array(this.capacity);

  push(op: Op, vcpu: number, gpa: number, sizeBytes: number, slot: number, line: number, time: number): void {
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    this.op[i] = op;
    this.vcpu[i] = vcpu;
    this.gpa[i] = gpa;
    this.sizeBytes[i] = sizeBytes;
    this.slot[i] = slot;
    this.line[i] = line;
    this.time[i] = time;
  }

  /**
   * Shared, trimmed arrays. With `byTime`, events are ordered by (time, file
   * order): a stable sort, so rows with equal times keep their file order.
   */
  finish(byTime: boolean): TraceEvents {
    const n = this.count;
    let order: Uint32Array | undefined;
    if (byTime) {
      const indices = Array.from({ length: n }, (_, i) => i);
      indices.sort((a, b) => this.time[a] - this.time[b] || a - b);
      order = Uint32Array.from(indices);
    }
    const pick = <T extends Column>(src: T, make: new (buffer: SharedArrayBuffer) => T): T => {
      const out = new make(new SharedArrayBuffer(Math.max(1, n) * src.BYTES_PER_ELEMENT));
      for (let i = 0; i < n; i++) out[i] = src[order ? order[i] : i];
      return out;
    };
    return {
      count: n,
      op: pick(this.op, Uint8Array),
      vcpu: pick(this.vcpu, Uint16Array),
      gpa: pick(this.gpa, Float64Array),
      sizeBytes: pick(this.sizeBytes, Float64Array),
      slot: pick(this.slot, Int32Array),
      line: pick(this.line, Uint32Array),
    };
  }

  private grow(): void {
    this.capacity *= 2;
    const grow = <T extends Column>(old: T, next: T): T => {
      next.set(old);
      return next;
    };
    this.op = grow(this.op, new Uint8Array(this.capacity));
    this.vcpu = grow(this.vcpu, new Uint16Array(this.capacity));
    this.gpa = grow(this.gpa, new Float64Array(this.capacity));
    this.sizeBytes = grow(this.sizeBytes, new Float64Array(this.capacity));
    this.slot = grow(this.slot, new Int32Array(this.capacity));
    this.line = grow(this.line, new Uint32Array(this.capacity));
    this.time = grow(this.time, new Float64Array(this.capacity));
  }
}
