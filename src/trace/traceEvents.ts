/**
 * A trace held as parallel typed arrays, one element per event (never one
 * object per row). The arrays live in SharedArrayBuffers so replay workers
 * read them without a copy.
 */
import type { Op } from './ops.js';
import { grownTo } from '../typedArrays.js';

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
  /** `x_slot` of a memslot op, the `AtVariant` (`x_at`) of an AT row, else -1. */
  slot: Int32Array;
  /** Source line of each event, for located errors during replay. */
  line: Uint32Array;
}

/** What a reader knows of a trace before its events (a CSV checking pass, an `.mtr` header). */
export type TraceFacts = Pick<Trace, 'vcpuCount' | 'touchedEndGpa' | 'declaresSlots'>;

/** A trace's fields other than its events, from its path, report name and facts (every reader builds its traces so). */
export function traceFields(path: string, name: string, facts: TraceFacts): Omit<Trace, 'events'> {
  return { path, name, vcpuCount: facts.vcpuCount, touchedEndGpa: facts.touchedEndGpa, declaresSlots: facts.declaresSlots };
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
  /**
   * Set for a trace streamed from its file at replay time (binary traces,
   * CSV traces whose rows need no sort by time):
   * `events` then holds no event (`events.count` is the trace's event count,
   * its arrays are empty). Read the events of any trace, streamed or not,
   * with `openEventChunks` (src/trace/eventChunks.ts).
   */
  stream?: TraceStream;
}

/** Where a streamed trace's events are read from (plain data: it crosses to workers). */
export interface TraceStream {
  format: 'mtr' | 'csv';
  /** File to read, as given on the command line. */
  path: string;
  /** CSV: the parser the checking pass found the file needs (`bytes` for plain files, else `csv-parse`). */
  csvParser?: 'bytes' | 'csv-parse';
  /** The file's size and modification time when it was checked: a CSV changed since is refused; keys the decoded-chunk cache. */
  sizeBytes?: number;
  mtimeMs?: number;
  /**
   * `.mtr`: every event was checked when the file was written, in this run
   * (a CSV trace's decoded copy, csvDecodedCopy.ts): its chunks' events are
   * not checked again (their headers and framing still are).
   */
  checked?: boolean;
}

/** Bytes of one event held in memory (`TraceEvents`' columns: 1 + 2 + 8 + 8 + 4 + 4). */
export const TRACE_EVENT_BYTES = 27;

type Column = Uint8Array | Uint16Array | Float64Array | Int32Array | Uint32Array;

/**
 * Zeroed event columns for `count` events, each in its own SharedArrayBuffer
 * (at least one element long, so an empty trace still has valid buffers).
 * Every reader allocates its output here so traces compare equal whatever
 * their source.
 */
export function allocateTraceEvents(count: number): TraceEvents {
  const length = Math.max(1, count);
  return {
    count,
    op: new Uint8Array(new SharedArrayBuffer(length)),
    vcpu: new Uint16Array(new SharedArrayBuffer(length * 2)),
    gpa: new Float64Array(new SharedArrayBuffer(length * 8)),
    sizeBytes: new Float64Array(new SharedArrayBuffer(length * 8)),
    slot: new Int32Array(new SharedArrayBuffer(length * 4)),
    line: new Uint32Array(new SharedArrayBuffer(length * 4)),
  };
}

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

  /** Forget the events pushed so far (the arrays are kept for the next ones). */
  clear(): void {
    this.count = 0;
  }

  /** Room for `capacity` events at once (no doubling copies on the way there). */
  reserve(capacity: number): void {
    while (this.capacity < capacity) this.grow(capacity);
  }

  /** Forget the events pushed so far and give their memory back. */
  release(): void {
    this.count = 0;
    this.capacity = 1024;
    this.op = new Uint8Array(this.capacity);
    this.vcpu = new Uint16Array(this.capacity);
    this.gpa = new Float64Array(this.capacity);
    this.sizeBytes = new Float64Array(this.capacity);
    this.slot = new Int32Array(this.capacity);
    this.line = new Uint32Array(this.capacity);
    this.time = new Float64Array(this.capacity);
  }

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
    if (byTime && !this.timesAscending()) {
      const indices = Array.from({ length: n }, (_, i) => i);
      indices.sort((a, b) => this.time[a] - this.time[b] || a - b);
      order = Uint32Array.from(indices);
    }
    const events = allocateTraceEvents(n);
    const pick = (src: Column, out: Column): void => {
      if (order === undefined) out.set(src.subarray(0, n));
      else for (let i = 0; i < n; i++) out[i] = src[order[i]];
    };
    pick(this.op, events.op);
    pick(this.vcpu, events.vcpu);
    pick(this.gpa, events.gpa);
    pick(this.sizeBytes, events.sizeBytes);
    pick(this.slot, events.slot);
    pick(this.line, events.line);
    return events;
  }

  /** True when times never go down in file order: the (time, file order) sort is then the identity. */
  private timesAscending(): boolean {
    const time = this.time;
    for (let i = 1; i < this.count; i++) if (time[i] < time[i - 1]) return false;
    return true;
  }

  private grow(atLeast = 0): void {
    this.capacity = Math.max(this.capacity * 2, atLeast);
    this.op = grownTo(this.op, this.capacity);
    this.vcpu = grownTo(this.vcpu, this.capacity);
    this.gpa = grownTo(this.gpa, this.capacity);
    this.sizeBytes = grownTo(this.sizeBytes, this.capacity);
    this.slot = grownTo(this.slot, this.capacity);
    this.line = grownTo(this.line, this.capacity);
    this.time = grownTo(this.time, this.capacity);
  }
}
