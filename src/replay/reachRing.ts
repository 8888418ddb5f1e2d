/**
 * A cell's TLB reach curves computed on a thread of their own: the replay
 * (the producer, src/replay/reachFeed.ts) hands chunks of curve operations
 * (src/tlb/reachOps.ts) to a worker thread (src/replay/reachWorker.ts)
 * through a ring of slots in a SharedArrayBuffer, and goes on replaying
 * while the worker applies them. Each feed (vCPU) has its curve there; its
 * chunks are applied in the order it pushed them, so the curves are exactly
 * those of the same operations applied on the replay's own thread. Used
 * when a core would otherwise sit idle (`reachThreadFits`).
 *
 * The replay is synchronous, so both sides block with `Atomics.wait`: the
 * producer while the ring is full and at the end for the results, the worker
 * while it is empty. A worker that fails writes its message and state
 * FAILED, which the producer throws; one that dies without a word (its heap
 * exhausted) is noticed as no progress for `STALL_LIMIT_MS`.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { REACH_SIZES, type ReachCurveData } from '../tlb/reachCurve.js';

/** Operations per chunk (doubles; one operation takes at most `MAX_OP_WORDS`). */
export const CHUNK_WORDS = 16_384;
/** Slots of the ring: how far the producer may run ahead of the worker. */
const SLOTS = 8;
/** Per slot: its feed, its word count and the hits at top counted with it, then the operations. */
const SLOT_HEADER = 3;
const SLOT_WORDS = SLOT_HEADER + CHUNK_WORDS;
/** Control words (Int32): sequence numbers of the slots written and read, the state, the error message's length. */
export const WRITE_SEQ = 0;
export const READ_SEQ = 1;
export const STATE = 2;
export const ERROR_BYTES = 3;
const CTRL_WORDS = 4;
/** States after 0 (running). Set by the producer: no chunk follows the ones written. */
export const STATE_END = 1;
/** Set by the worker: the results are written. */
export const STATE_DONE = 2;
/** Set by the worker: it failed; the message is written. */
export const STATE_FAILED = 3;
const ERROR_CAPACITY = 4096;
/** No progress for this long means the worker is gone. */
const STALL_LIMIT_MS = 60_000;
const WAIT_SLICE_MS = 1_000;

/** Where each part lives in the shared buffer (both sides build it from the feed count). */
export interface RingLayout {
  ctrl: Int32Array;
  slots: Float64Array;
  /** Per feed, one miss count per size. */
  results: Float64Array;
  error: Uint8Array;
}

/** Byte offsets of the parts, in buffer order, and the buffer's size, for `feeds` curves of `sizes` sizes. */
function ringOffsets(feeds: number, sizes: number): { slots: number; results: number; error: number; bytes: number } {
  const slots = CTRL_WORDS * 4;
  const results = slots + SLOTS * SLOT_WORDS * 8;
  const error = results + feeds * sizes * 8;
  return { slots, results, error, bytes: error + ERROR_CAPACITY };
}

export function ringLayout(buffer: SharedArrayBuffer, feeds: number, sizes: number): RingLayout {
  const at = ringOffsets(feeds, sizes);
  return {
    ctrl: new Int32Array(buffer, 0, CTRL_WORDS),
    slots: new Float64Array(buffer, at.slots, SLOTS * SLOT_WORDS),
    results: new Float64Array(buffer, at.results, feeds * sizes),
    error: new Uint8Array(buffer, at.error, ERROR_CAPACITY),
  };
}

/** Bytes of the shared buffer for `feeds` curves of `sizes` sizes. */
export function ringBytes(feeds: number, sizes: number): number {
  return ringOffsets(feeds, sizes).bytes;
}

/** Slot `seq` of the ring: the index of its first word in `slots`. */
export function slotBase(seq: number): number {
  return (seq % SLOTS) * SLOT_WORDS;
}

/** What the data of a slot holds: [feed, words, hits at top]. */
export const SLOT_FEED = 0;
export const SLOT_COUNT = 1;
export const SLOT_TOP_HITS = 2;
export const SLOT_OPS = SLOT_HEADER;

/**
 * Events below which a cell keeps its curves on the replay's thread. The
 * thread's start (creating it, loading its modules) delays the curve by
 * about 80 ms on the project host: replayCell of the 1.1 M-event boot trace
 * took 95 ms with the curve here and 174 ms with its thread; a 5 M-access
 * 256-page cycle 589 against 309 ms, 5 M random hits over a 4 MiB hot set
 * 461 against 414 ms.
 */
export const REACH_THREAD_MIN_EVENTS = 3_000_000;

/**
 * True when a cell of `events` trace events, one of `runningCells` cells
 * replaying at once, should compute its reach curves on a thread of its
 * own: enough events to pay for the thread, and a core for each running
 * cell's thread (`availableParallelism()` at least twice the cells).
 */
export function reachThreadFits(events: number, runningCells: number): boolean {
  return events >= REACH_THREAD_MIN_EVENTS && availableParallelism() >= 2 * Math.max(1, runningCells);
}

export class ReachRing {
  private readonly layout: RingLayout;
  private written = 0;
  private finished = false;

  private constructor(
    private readonly worker: Worker,
    buffer: SharedArrayBuffer,
    private readonly feeds: number,
  ) {
    this.layout = ringLayout(buffer, feeds, REACH_SIZES.length);
  }

  /** Start the worker for `feeds` curves; undefined when no thread can be started (the caller computes them itself). */
  static start(feeds: number, workerUrl: URL = new URL('./reachWorker.js', import.meta.url)): ReachRing | undefined {
    // Only the build has the worker's JavaScript (a test running the TypeScript sources has none): then no thread.
    if (!existsSync(fileURLToPath(workerUrl))) return undefined;
    const buffer = new SharedArrayBuffer(ringBytes(feeds, REACH_SIZES.length));
    let worker: Worker;
    try {
      worker = new Worker(workerUrl, { workerData: { buffer, feeds } });
    } catch {
      return undefined;
    }
    worker.unref(); // never what keeps the process alive
    worker.on('error', () => undefined); // reported through the shared state (or its silence), not as an event
    return new ReachRing(worker, buffer, feeds);
  }

  /** Hand feed `feed`'s operations `ops[0, words)` and `topHits` hits at top to the worker; waits while the ring is full. */
  push(feed: number, ops: Float64Array, words: number, topHits: number): void {
    const { ctrl, slots } = this.layout;
    this.waitWhile(() => this.written - Atomics.load(ctrl, READ_SEQ) >= SLOTS, READ_SEQ);
    const base = slotBase(this.written);
    slots[base + SLOT_FEED] = feed;
    slots[base + SLOT_COUNT] = words;
    slots[base + SLOT_TOP_HITS] = topHits;
    slots.set(ops.subarray(0, words), base + SLOT_OPS);
    Atomics.store(ctrl, WRITE_SEQ, ++this.written);
    Atomics.notify(ctrl, WRITE_SEQ);
  }

  /** After the feeds' last pushes: every curve, by feed; the worker is stopped. */
  finish(): ReachCurveData[] {
    const { ctrl, results } = this.layout;
    Atomics.store(ctrl, STATE, STATE_END);
    Atomics.notify(ctrl, WRITE_SEQ);
    this.waitWhile(() => Atomics.load(ctrl, STATE) === STATE_END, STATE);
    this.close();
    const sizes = REACH_SIZES.length;
    return Array.from({ length: this.feeds }, (_, feed) => ({
      entries: [...REACH_SIZES],
      misses: Array.from(results.subarray(feed * sizes, (feed + 1) * sizes)),
    }));
  }

  /** Stop the worker (also after a failed replay); idempotent. */
  close(): void {
    if (this.finished) return;
    this.finished = true;
    void this.worker.terminate();
  }

  /**
   * Wait on control word `word` while `busy()`; throws the worker's message
   * when it failed, or after `STALL_LIMIT_MS` without the word changing.
   */
  private waitWhile(busy: () => boolean, word: number): void {
    const { ctrl, error } = this.layout;
    let seen = Atomics.load(ctrl, word);
    let since = performance.now();
    for (;;) {
      if (Atomics.load(ctrl, STATE) === STATE_FAILED) {
        this.close();
        throw new Error(`TLB reach curve thread: ${new TextDecoder().decode(error.slice(0, Atomics.load(ctrl, ERROR_BYTES)))}`);
      }
      if (!busy()) return;
      Atomics.wait(ctrl, word, seen, WAIT_SLICE_MS);
      const now = Atomics.load(ctrl, word);
      if (now !== seen) {
        seen = now;
        since = performance.now();
      } else if (performance.now() - since > STALL_LIMIT_MS) {
        this.close();
        throw new Error(`TLB reach curve thread: no progress for ${STALL_LIMIT_MS / 1000} s (it died?)`);
      }
    }
  }
}
