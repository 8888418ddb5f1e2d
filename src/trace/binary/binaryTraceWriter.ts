/**
 * Writes binary traces (`.mtr`, layout in mtrFormat.ts), streaming: events
 * arrive in batches, leave in chunks, and the file appears only when
 * complete (written to `PATH.tmp-<pid>`, header patched with the final
 * counts, then renamed). Memory: one chunk of staging columns and one
 * encoded chunk, whatever the trace length.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { InputError } from '../../errors.js';
import { GPA_LIMIT } from '../../mmu/address.js';
import { MAX_VCPU_ID } from '../fieldParsers.js';
import type { Trace, TraceEvents } from '../traceEvents.js';
import { openEventChunks } from '../eventChunks.js';
import { maxFrom } from '../../typedArrays.js';
import { Op } from '../ops.js';
import { touchedEndOf } from '../touchedEnd.js';
import { checkEvents, encodeChunk, type EventColumns } from './chunkCodec.js';
import {
  CHUNK_HEADER_BYTES,
  DEFAULT_CHUNK_RECORDS,
  END_MARKER_BYTES,
  END_TAG,
  FILE_HEADER_BYTES,
  FLAG_DECLARES_SLOTS,
  HEADER_OFFSET,
  MAX_CHUNK_RECORDS,
  MAX_SOURCE_BYTES,
  MTR_MAGIC,
  MTR_VERSION,
  align8,
  hostIsLittleEndian,
} from './mtrFormat.js';

/** The `Trace` fields that describe the whole trace, known once every event is written. */
export interface BinaryTraceMeta {
  vcpuCount: number;
  touchedEndGpa: number;
  declaresSlots: boolean;
}

/**
 * What `finish` is told of the trace; what it is not told is what the events
 * appended say: the highest vCPU id + 1, their touched end
 * (src/trace/touchedEnd.ts), whether one is a SLOT_ADD. A writer of
 * `checked` events derives only the vCPU count: it must be told the other two.
 */
export type BinaryTraceFacts = Partial<BinaryTraceMeta>;

export interface BinaryTraceWriterOptions {
  /** Free text stored in the header, e.g. `converted from traces/x.csv`. */
  source?: string;
  /** Events per chunk (default 65536). */
  chunkRecords?: number;
  /**
   * The events were checked already (a checked CSV's decoded copy): `append`
   * skips its checks. Their reader checks every chunk all the same
   * (`MtrChunkReader`). Default false.
   */
  checked?: boolean;
  /** `writeBinaryTrace`: told the events written so far and the trace's total, after each chunk. */
  onProgress?: (doneEvents: number, totalEvents: number) => void;
}

/** Bytes of one event when every column is raw: 8 + 8 + 4 + 4 + 2 + 1, each padded. */
const MAX_EVENT_BYTES = 27;

/**
 * Streaming `.mtr` writer: `create`, `append` batches, then `finish` (or
 * `abort`). Bad events or metadata throw `InputError` naming the file and
 * the event index; the temporary file is removed.
 */
export class BinaryTraceWriter {
  private readonly staging: EventColumns;
  private staged = 0;
  private written = 0;
  private position: number;
  private maxVcpu = -1;
  /**
   * What the events appended say of the header (unless `checked`): their
   * touched end, and whether one is a SLOT_ADD. `finish` writes them unless
   * told otherwise, and refuses metadata the reader would refuse
   * (mtrChunkReader.ts): a touched end below theirs, a memslot flag that
   * disagrees.
   */
  private eventsEndGpa = 0;
  private slotAdds = false;
  /** Two chunk buffers, used in turn: a chunk is encoded into one while the other's write is in flight. */
  private readonly chunkBuffers: ArrayBuffer[];
  private nextBuffer = 0;
  /** The write of the last chunk encoded, still in flight (at most one), or undefined. */
  private pending: Promise<unknown> | undefined;

  private constructor(
    private readonly path: string,
    private readonly temp: string,
    private readonly file: FileHandle,
    private readonly chunkRecords: number,
    private readonly header: Uint8Array,
    private readonly checked: boolean,
  ) {
    this.position = header.length;
    const bufferBytes = CHUNK_HEADER_BYTES + align8(chunkRecords * MAX_EVENT_BYTES) + 64;
    this.chunkBuffers = [new ArrayBuffer(bufferBytes), new ArrayBuffer(bufferBytes)];
    this.staging = {
      op: new Uint8Array(chunkRecords),
      vcpu: new Uint16Array(chunkRecords),
      gpa: new Float64Array(chunkRecords),
      sizeBytes: new Float64Array(chunkRecords),
      slot: new Int32Array(chunkRecords),
      line: new Uint32Array(chunkRecords),
    };
  }

  /** Open `PATH.tmp-<pid>` and write a provisional header (event count unknown). */
  static async create(path: string, options: BinaryTraceWriterOptions = {}): Promise<BinaryTraceWriter> {
    if (!hostIsLittleEndian()) throw new InputError(`${path}: binary traces need a little-endian host`);
    const chunkRecords = options.chunkRecords ?? DEFAULT_CHUNK_RECORDS;
    if (!Number.isInteger(chunkRecords) || chunkRecords < 1 || chunkRecords > MAX_CHUNK_RECORDS) {
      throw new InputError(`${path}: chunk size ${chunkRecords} is not an integer from 1 to ${MAX_CHUNK_RECORDS}`);
    }
    const source = Buffer.from(options.source ?? '', 'utf8');
    if (source.length > MAX_SOURCE_BYTES) throw new InputError(`${path}: source description longer than ${MAX_SOURCE_BYTES} bytes`);
    const header = new Uint8Array(FILE_HEADER_BYTES + align8(source.length));
    header.set(MTR_MAGIC, HEADER_OFFSET.magic);
    header.set(source, FILE_HEADER_BYTES);
    const view = new DataView(header.buffer);
    view.setUint32(HEADER_OFFSET.version, MTR_VERSION, true);
    view.setUint32(HEADER_OFFSET.headerBytes, header.length, true);
    view.setBigUint64(HEADER_OFFSET.eventCount, 0xffff_ffff_ffff_ffffn, true);
    view.setUint32(HEADER_OFFSET.chunkRecords, chunkRecords, true);
    view.setUint32(HEADER_OFFSET.sourceBytes, source.length, true);
    const temp = `${path}.tmp-${process.pid}`;
    let file: FileHandle;
    try {
      file = await open(temp, 'w');
    } catch (error) {
      throw new InputError(`${path}: cannot write: ${(error as Error).message}`);
    }
    const writer = new BinaryTraceWriter(path, temp, file, chunkRecords, header, options.checked === true);
    await writer.guard(() => file.write(header, 0, header.length, 0));
    return writer;
  }

  /** Append events [start, end) of `events` (in replay order). */
  async append(events: TraceEvents, start = 0, end = events.count): Promise<void> {
    const bad = this.checked ? undefined : checkEvents(events, start, end - start, MAX_VCPU_ID + 1);
    if (bad !== undefined) {
      await this.abort();
      const index = this.written + this.staged + bad.index - start;
      throw new InputError(`${this.path}: event ${index}: column ${bad.column}: ${bad.problem}`);
    }
    this.maxVcpu = maxFrom(this.maxVcpu, events.vcpu, start, end);
    if (!this.checked) {
      this.eventsEndGpa = Math.max(this.eventsEndGpa, touchedEndOf(events, start, end));
      this.slotAdds ||= events.op.subarray(start, end).indexOf(Op.SLOT_ADD) >= 0;
    }
    let next = start;
    while (next < end) {
      if (this.staged === 0 && end - next >= this.chunkRecords) {
        // Whole chunks straight from the caller's arrays, no staging copy.
        await this.writeChunk(events, next, this.chunkRecords);
        next += this.chunkRecords;
        continue;
      }
      const take = Math.min(end - next, this.chunkRecords - this.staged);
      for (const key of ['op', 'vcpu', 'gpa', 'sizeBytes', 'slot', 'line'] as const) {
        this.staging[key].set(events[key].subarray(next, next + take) as never, this.staged);
      }
      this.staged += take;
      next += take;
      if (this.staged === this.chunkRecords) await this.flushStaging();
    }
  }

  /** Write the last chunk and the end marker, record the trace's facts and the count in the header, rename into place. */
  async finish(facts: BinaryTraceFacts = {}): Promise<void> {
    if (this.checked && (facts.touchedEndGpa === undefined || facts.declaresSlots === undefined)) {
      throw new Error('BinaryTraceWriter: a writer of checked events must be told the touched end and the memslot flag');
    }
    const meta: BinaryTraceMeta = {
      vcpuCount: facts.vcpuCount ?? this.maxVcpu + 1,
      touchedEndGpa: facts.touchedEndGpa ?? this.eventsEndGpa,
      declaresSlots: facts.declaresSlots ?? this.slotAdds,
    };
    const problem = metaProblem(meta, this.maxVcpu) ?? (this.checked ? undefined : eventsProblem(meta, this.eventsEndGpa, this.slotAdds));
    if (problem !== undefined) {
      await this.abort();
      throw new InputError(`${this.path}: ${problem}`);
    }
    if (this.staged > 0) await this.flushStaging();
    await this.settle();
    const end = new DataView(new ArrayBuffer(END_MARKER_BYTES));
    end.setUint32(0, END_TAG, true);
    end.setBigUint64(8, BigInt(this.written), true);
    const view = new DataView(this.header.buffer);
    view.setUint32(HEADER_OFFSET.flags, meta.declaresSlots ? FLAG_DECLARES_SLOTS : 0, true);
    view.setUint32(HEADER_OFFSET.vcpuCount, meta.vcpuCount, true);
    view.setBigUint64(HEADER_OFFSET.eventCount, BigInt(this.written), true);
    view.setBigUint64(HEADER_OFFSET.touchedEndGpa, BigInt(meta.touchedEndGpa), true);
    await this.guard(async () => {
      await this.file.write(new Uint8Array(end.buffer), 0, END_MARKER_BYTES, this.position);
      await this.file.write(this.header, 0, this.header.length, 0);
      await this.file.close();
      await rename(this.temp, this.path);
    });
  }

  /** Close and remove the temporary file (idempotent). */
  async abort(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    await pending?.catch(() => undefined);
    await this.file.close().catch(() => undefined);
    await rm(this.temp, { force: true });
  }

  private async flushStaging(): Promise<void> {
    await this.writeChunk(this.staging, 0, this.staged);
    this.staged = 0;
  }

  /**
   * Encode events [start, start + count) of `src` as the next chunk and start
   * its write; the previous chunk's write is awaited first (its error, if
   * any, thrown here). So the caller reads its next events while this
   * chunk's bytes go to the file; `finish` awaits the last write.
   */
  private async writeChunk(src: EventColumns, start: number, count: number): Promise<void> {
    const buffer = this.chunkBuffers[this.nextBuffer];
    this.nextBuffer ^= 1;
    const bytes = encodeChunk(src, start, count, buffer);
    await this.settle();
    this.pending = this.file.write(new Uint8Array(buffer, 0, bytes), 0, bytes, this.position);
    this.pending.catch(() => undefined); // seen by `settle` (or dropped by `abort`), never unhandled
    this.position += bytes;
    this.written += count;
  }

  /** Wait for the chunk write in flight, if any; a failed one removes the temporary file and reports the path. */
  private async settle(): Promise<void> {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    await this.guard(() => pending);
  }

  /** Run a file operation; on failure remove the temp file and report the path. */
  private async guard(operation: () => Promise<unknown>): Promise<void> {
    try {
      await operation();
    } catch (error) {
      await this.abort();
      throw new InputError(`${this.path}: cannot write: ${(error as Error).message}`);
    }
  }
}

/** Why `meta` cannot describe a trace whose highest vCPU id is `maxVcpu`, or undefined. */
function metaProblem(meta: BinaryTraceMeta, maxVcpu: number): string | undefined {
  if (!Number.isInteger(meta.vcpuCount) || meta.vcpuCount < maxVcpu + 1 || meta.vcpuCount > MAX_VCPU_ID + 1) {
    return `vCPU count ${meta.vcpuCount} is not an integer from ${maxVcpu + 1} (highest vCPU id + 1) to ${MAX_VCPU_ID + 1}`;
  }
  if (!Number.isInteger(meta.touchedEndGpa) || meta.touchedEndGpa < 0 || meta.touchedEndGpa > GPA_LIMIT) {
    return `touched end ${meta.touchedEndGpa} is not an integer GPA from 0 to 2^52`;
  }
  return undefined;
}

/** Why `meta` disagrees with events whose touched end is `eventsEndGpa` and of which some (`slotAdds`) or none is a SLOT_ADD, or undefined. */
function eventsProblem(meta: BinaryTraceMeta, eventsEndGpa: number, slotAdds: boolean): string | undefined {
  if (meta.touchedEndGpa < eventsEndGpa) {
    return `touched end ${meta.touchedEndGpa} is below the events' ${eventsEndGpa} (the first byte beyond every range they name: src/trace/touchedEnd.ts)`;
  }
  if (meta.declaresSlots !== slotAdds) {
    return slotAdds ? 'the events hold a SLOT_ADD but the trace does not declare memslots' : 'the trace declares memslots but no event is a SLOT_ADD';
  }
  return undefined;
}

/** Write `trace` (in memory or streamed) to `path` as a binary trace (atomically). */
export async function writeBinaryTrace(trace: Trace, path: string, options: BinaryTraceWriterOptions = {}): Promise<void> {
  const writer = await BinaryTraceWriter.create(path, options);
  const source = openEventChunks(trace);
  try {
    let done = 0;
    for (let chunk = source.next(); chunk !== undefined; chunk = source.next()) {
      await writer.append(chunk);
      done += chunk.count;
      options.onProgress?.(done, trace.events.count);
    }
  } catch (error) {
    await writer.abort();
    throw error;
  } finally {
    source.close();
  }
  await writer.finish(trace);
}
