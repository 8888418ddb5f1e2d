/**
 * An `ImportSink` that writes a binary trace (`.mtr`, src/trace/binary/) in
 * constant memory. The header of an `.mtr` (its `source` text, where the
 * import's comments go) is written first, but the skip counts are known only
 * at the end, so rows are spooled first:
 *
 * 1. Rows fill fixed blocks of typed columns; `drain` appends full blocks, raw,
 *    to a spool file next to OUT.
 * 2. `finish` opens the `BinaryTraceWriter` with the complete comments as its
 *    source and streams the spool into it block by block; the writer renames
 *    its temporary file into place at the end.
 *
 * Replay order: an `.mtr` replays in stored order, while the CSV reader orders
 * rows with a `time` column by (time, file order). Rows whose times never go
 * down (one ftrace capture, merged by the kernel in time order) are stored as
 * they come, which is that same order. Otherwise (several ftrace inputs that
 * overlap in time) `finish` loads the spool and sorts it as the CSV reader
 * would: memory proportional to the rows, only in that case.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { destroyStream } from '../destroyStream.js';
import { rm } from 'node:fs/promises';
import { InputError } from '../../errors.js';
import { BinaryTraceWriter } from '../binary/binaryTraceWriter.js';
import { MAX_SOURCE_BYTES } from '../binary/mtrFormat.js';
import type { Op } from '../ops.js';
import { TraceEventsBuilder, type TraceEvents } from '../traceEvents.js';
import type { ImportSink } from './importTypes.js';

/** Events per spool block (and per `.mtr` append). */
const BLOCK_EVENTS = 65536;
/** Spooled bytes per event: op u8, vcpu u16, line u32, gpa f64, size f64, time f64. */
const EVENT_BYTES = 1 + 2 + 4 + 8 + 8 + 8;

/** The columns of one block, as one buffer (little-endian typed arrays over its parts). */
class Block {
  readonly bytes = Buffer.alloc(BLOCK_EVENTS * EVENT_BYTES);
  readonly gpa = new Float64Array(this.bytes.buffer, this.bytes.byteOffset, BLOCK_EVENTS);
  readonly sizeBytes = new Float64Array(this.bytes.buffer, this.bytes.byteOffset + 8 * BLOCK_EVENTS, BLOCK_EVENTS);
  readonly time = new Float64Array(this.bytes.buffer, this.bytes.byteOffset + 16 * BLOCK_EVENTS, BLOCK_EVENTS);
  readonly line = new Uint32Array(this.bytes.buffer, this.bytes.byteOffset + 24 * BLOCK_EVENTS, BLOCK_EVENTS);
  readonly vcpu = new Uint16Array(this.bytes.buffer, this.bytes.byteOffset + 28 * BLOCK_EVENTS, BLOCK_EVENTS);
  readonly op = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + 30 * BLOCK_EVENTS, BLOCK_EVENTS);
  count = 0;
}

export class MtrTraceSink implements ImportSink {
  private readonly spoolPath: string;
  private readonly spool: WriteStream;
  private block = new Block();
  /** Full blocks not yet handed to the spool. */
  private full: Block[] = [];
  private spooled = 0;
  private lastTime = -Infinity;
  private timeOrdered = true;
  private failure: Error | undefined;

  constructor(private readonly outPath: string) {
    this.spoolPath = `${outPath}.spool.tmp-${process.pid}`;
    this.spool = createWriteStream(this.spoolPath);
    this.spool.on('error', (error) => {
      this.failure = error;
    });
  }

  access(op: Op, vcpu: number, gpa: number, sizeBytes: number, _input: number, line: number, timeNs: number): void {
    const block = this.block;
    const i = block.count++;
    block.op[i] = op;
    block.vcpu[i] = vcpu;
    block.gpa[i] = gpa;
    block.sizeBytes[i] = sizeBytes;
    block.line[i] = line;
    block.time[i] = timeNs;
    if (timeNs < this.lastTime) this.timeOrdered = false;
    this.lastTime = timeNs;
    if (block.count === BLOCK_EVENTS) {
      this.full.push(block);
      this.block = new Block();
    }
  }

  /** Hand the full blocks to the spool; wait while it is behind. */
  async drain(): Promise<void> {
    if (this.failure) throw this.writeError(this.failure);
    for (const block of this.full) this.spool.write(block.bytes);
    this.spooled += this.full.length * BLOCK_EVENTS;
    this.full = [];
    if (this.spool.writableNeedDrain) await once(this.spool, 'drain');
  }

  /** Write OUT.mtr with `comments` as its source text, then remove the spool. */
  async finish(comments: readonly string[]): Promise<void> {
    let writer: BinaryTraceWriter | undefined;
    try {
      await this.drain();
      const last = this.block;
      this.spool.end();
      await once(this.spool, 'finish');
      if (this.failure) throw this.failure;
      writer = await BinaryTraceWriter.create(this.outPath, { source: sourceText(comments) });
      if (this.timeOrdered) {
        for await (const block of this.readSpool()) await writer.append(toEvents(block, block.count), 0, block.count);
        await writer.append(toEvents(last, last.count), 0, last.count);
      } else {
        const events = await this.sortedByTime(last);
        await writer.append(events, 0, events.count);
      }
      await writer.finish(); // vCPU count, touched end and memslot flag: what the events say
    } catch (error) {
      await writer?.abort();
      await this.abort();
      throw this.writeError(error as Error);
    }
    await rm(this.spoolPath, { force: true });
  }

  /** Remove the spool (after a failed import). */
  async abort(): Promise<void> {
    await destroyStream(this.spool);
    await rm(this.spoolPath, { force: true });
  }

  /** The spooled blocks, one at a time (every spooled block is full). */
  private async *readSpool(): AsyncGenerator<Block> {
    const block = new Block();
    let filled = 0;
    for await (const chunk of createReadStream(this.spoolPath, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      let from = 0;
      while (from < chunk.length) {
        const take = Math.min(chunk.length - from, block.bytes.length - filled);
        chunk.copy(block.bytes, filled, from, from + take);
        filled += take;
        from += take;
        if (filled === block.bytes.length) {
          block.count = BLOCK_EVENTS;
          yield block;
          filled = 0;
        }
      }
    }
  }

  /** Every row, ordered by (time, import order) as the CSV reader orders a `time` column. */
  private async sortedByTime(last: Block): Promise<TraceEvents> {
    const builder = new TraceEventsBuilder();
    const add = (b: Block): void => {
      for (let i = 0; i < b.count; i++) builder.push(b.op[i], b.vcpu[i], b.gpa[i], b.sizeBytes[i], -1, b.line[i], b.time[i]);
    };
    for await (const block of this.readSpool()) add(block);
    add(last);
    return builder.finish(true);
  }

  private writeError(error: Error): InputError {
    return error instanceof InputError ? error : new InputError(`--out: cannot write ${this.outPath}: ${error.message}`);
  }
}

/** The comments as the `.mtr` source text, cut to what the header holds. */
function sourceText(comments: readonly string[]): string {
  const text = comments.join('\n');
  if (Buffer.byteLength(text, 'utf8') <= MAX_SOURCE_BYTES) return text;
  return (
    Buffer.from(text, 'utf8')
      .subarray(0, MAX_SOURCE_BYTES - 4)
      .toString('utf8')
      .replace(/\uFFFD$/, '') + '\n...'
  );
}

/** The first `count` events of `block` as `TraceEvents` (views, no copy; `slot` is -1: imports make no memslot ops). */
function toEvents(block: Block, count: number): TraceEvents {
  return {
    count,
    op: block.op,
    vcpu: block.vcpu,
    gpa: block.gpa,
    sizeBytes: block.sizeBytes,
    slot: slotColumn(),
    line: block.line,
  };
}

let slots: Int32Array | undefined;
/** A shared all -1 `slot` column, one block long. */
function slotColumn(): Int32Array {
  slots ??= new Int32Array(BLOCK_EVENTS).fill(-1);
  return slots;
}

/** Events per spool block (tests cross block boundaries with it). */
export const MTR_SINK_BLOCK_EVENTS = BLOCK_EVENTS;
