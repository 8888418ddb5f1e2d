/**
 * Reads a binary trace (`.mtr`, layout in mtrFormat.ts) one chunk at a
 * time, synchronously, checking everything it reads: magic, version, header
 * fields, every chunk header, truncation, trailing bytes and every event
 * value (chunkCodec.ts `checkEvents`). Errors are `InputError`s located by
 * part: `FILE: header: ...`, `FILE: chunk K: ...` (K counted from 0; `event J`
 * inside it counted from 0 too) or `FILE: end marker: ...`, each ending with
 * the byte offset of the bad field or chunk.
 *
 * Synchronous on purpose: a replay worker pulls the next chunk between two
 * events of a synchronous replay loop. Memory: one chunk header buffer, one
 * payload buffer (27 bytes × chunkRecords at most, 1.7 MiB by default) and
 * the arithmetic columns; a raw column of the chunk returned by `next` is a
 * view over the payload buffer (no copy), valid until the next call.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../../errors.js';
import { fileError } from '../fileError.js';
import { GPA_LIMIT } from '../../mmu/address.js';
import { MAX_VCPU_ID } from '../fieldParsers.js';
import type { TraceEvents } from '../traceEvents.js';
import { Op } from '../ops.js';
import { arithmeticColumns, checkEvents, parseChunkHeader, viewChunk, type ChunkHeader } from './chunkCodec.js';
import {
  CHUNK_HEADER_BYTES,
  CHUNK_TAG,
  COLUMNS,
  END_MARKER_BYTES,
  END_TAG,
  FILE_HEADER_BYTES,
  FLAG_DECLARES_SLOTS,
  HEADER_OFFSET,
  KNOWN_FLAGS,
  MAX_CHUNK_RECORDS,
  MAX_EVENT_COUNT,
  MAX_SOURCE_BYTES,
  MTR_MAGIC,
  MTR_VERSION,
  align8,
  hostIsLittleEndian,
  type MtrHeader,
} from './mtrFormat.js';

/** Where the bytes come from: a file read piece by piece, or an image in memory. */
interface ByteSource {
  readonly size: number;
  /**
   * Bytes [offset, offset + length), or fewer where the source ends. The view
   * starts 8-byte aligned and stays valid until the next read into `slot`.
   */
  read(offset: number, length: number, slot: 0 | 1): Uint8Array;
  close(): void;
}

/** A file read with positioned reads into two reusable aligned buffers. */
class FileSource implements ByteSource {
  private readonly scratch: [ArrayBuffer, ArrayBuffer] = [new ArrayBuffer(FILE_HEADER_BYTES + CHUNK_HEADER_BYTES), new ArrayBuffer(0)];

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  read(offset: number, length: number, slot: 0 | 1): Uint8Array {
    const wanted = Math.max(0, Math.min(length, this.size - offset));
    if (this.scratch[slot].byteLength < wanted) this.scratch[slot] = new ArrayBuffer(align8(wanted));
    const view = new Uint8Array(this.scratch[slot], 0, wanted);
    let filled = 0;
    while (filled < wanted) {
      const bytesRead = readSync(this.fd, view, filled, wanted - filled, offset + filled);
      if (bytesRead === 0) break; // the file shrank under us: reported as truncation
      filled += bytesRead;
    }
    return view.subarray(0, filled);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** An `.mtr` image already in memory (benchmarks, tests). */
class MemorySource implements ByteSource {
  private scratch = new ArrayBuffer(0);

  constructor(private readonly image: Uint8Array) {}

  get size(): number {
    return this.image.length;
  }

  read(offset: number, length: number): Uint8Array {
    const view = this.image.subarray(offset, Math.min(this.image.length, offset + length));
    if (view.byteOffset % 8 === 0) return view;
    // Typed-array views need aligned offsets: copy the rare misaligned image.
    if (this.scratch.byteLength < view.length) this.scratch = new ArrayBuffer(align8(view.length));
    const copy = new Uint8Array(this.scratch, 0, view.length);
    copy.set(view);
    return copy;
  }

  close(): void {}
}

/**
 * Chunk-by-chunk reader of one `.mtr` file or image. `header` is checked on
 * open; `next()` returns the next chunk's events or undefined after the end
 * marker (which is checked then). Call `close()` when done (idempotent).
 */
export class MtrChunkReader {
  readonly header: MtrHeader;
  /** Chunks returned so far. */
  chunkIndex = 0;
  /** Events returned so far. */
  total = 0;
  private position: number;
  private done = false;
  private closed = false;
  /** Arithmetic columns are filled here; raw ones are views over the payload. */
  private readonly own: Omit<TraceEvents, 'count'>;
  /** What `own` holds, per column (first, step, count): see `viewChunk`. */
  private readonly filled = new Float64Array(3 * COLUMNS.length).fill(NaN);
  /** A SLOT_ADD event was read: the header's flag bit 0 must say so, either way (a trace with the flag gets no default memslot). */
  private sawSlotAdd = false;

  private constructor(
    private readonly source: ByteSource,
    readonly path: string,
    /** Events already checked when the file was written (`TraceStream.checked`): `next` skips `checkEvents`. */
    private readonly eventsChecked: boolean,
  ) {
    try {
      this.header = readHeader(source, path);
    } catch (error) {
      source.close();
      throw error;
    }
    this.position = this.header.headerBytes;
    const n = this.header.chunkRecords;
    this.own = {
      op: new Uint8Array(n),
      vcpu: new Uint16Array(n),
      gpa: new Float64Array(n),
      sizeBytes: new Float64Array(n),
      slot: new Int32Array(n),
      line: new Uint32Array(n),
    };
  }

  /**
   * Open `path` and check its header. Throws `InputError`. `eventsChecked`:
   * its events were checked as this run wrote it (a decoded copy): chunks
   * are then framed and decoded without checking their events again.
   */
  static openFile(path: string, eventsChecked = false): MtrChunkReader {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw fileError(path, error);
    }
    let size: number;
    try {
      const stat = fstatSync(fd);
      if (stat.isDirectory()) throw new InputError(`${path}: is a directory, not a trace file`);
      size = stat.size;
    } catch (error) {
      closeSync(fd);
      throw error instanceof InputError ? error : fileError(path, error);
    }
    return new MtrChunkReader(new FileSource(fd, size), path, eventsChecked);
  }

  /** Read an image held in memory; `path` names it in errors. */
  static fromImage(image: Uint8Array, path: string): MtrChunkReader {
    return new MtrChunkReader(new MemorySource(image), path, false);
  }

  /**
   * The next chunk's events (valid until the next call), or undefined after
   * the last chunk, once the end marker checks out. Throws `InputError`.
   */
  next(): TraceEvents | undefined {
    if (this.done) return undefined;
    const { source, header } = this;
    const k = this.chunkIndex;
    const position = this.position;
    const size = source.size;
    const head = source.read(position, CHUNK_HEADER_BYTES, 0);
    if (head.length < 8) this.fail(`chunk ${k}`, position, `truncated: expected this chunk or the end marker, the file ends after ${size} bytes`);
    const view = new DataView(head.buffer, head.byteOffset, head.length);
    const tag = view.getUint32(0, true);
    if (tag === END_TAG) {
      if (header.declaresSlots && !this.sawSlotAdd && !this.eventsChecked) {
        this.fail('header', HEADER_OFFSET.flags, 'flag bit 0 says the trace declares its own memslots, but no event is a SLOT_ADD');
      }
      this.checkEnd(view, position);
      this.done = true;
      return undefined;
    }
    if (tag !== CHUNK_TAG) this.fail(`chunk ${k}`, position, `expected "CHNK" (or the end marker "TEND"), found 0x${tag.toString(16).padStart(8, '0')}`);
    if (head.length < CHUNK_HEADER_BYTES) this.fail(`chunk ${k}`, position, `truncated: the file ends inside the chunk header`);
    const chunk: ChunkHeader | string = parseChunkHeader(view, header.chunkRecords, header.vcpuCount);
    if (typeof chunk === 'string') return this.fail(`chunk ${k}`, position, chunk);
    const count = chunk.count;
    if (header.eventCount >= 0 && this.total + count > header.eventCount) {
      this.fail(`chunk ${k}`, position, `holds events beyond the ${header.eventCount} the header announces`);
    }
    const payloadStart = position + CHUNK_HEADER_BYTES;
    const payload = source.read(payloadStart, chunk.payloadBytes, 1);
    if (payload.length < chunk.payloadBytes) {
      this.fail(`chunk ${k}`, position, `truncated: needs ${chunk.payloadBytes} bytes of data, the file ends after ${payload.length}`);
    }
    const events = viewChunk(chunk, payload, this.own, this.filled);
    if (!this.eventsChecked) this.checkChunkEvents(events, chunk, k, position);
    this.total += count;
    this.chunkIndex++;
    this.position = payloadStart + chunk.payloadBytes;
    return events;
  }

  /**
   * Check the events of chunk `k` (at byte `position`): every value
   * (`checkEvents`), none ending beyond the header's touched end (it sizes the
   * default memslot: such an event would replay outside every memslot), and
   * a SLOT_ADD only when the header's flag bit 0 declares memslots (without
   * it replay adds the default memslot, and the row's slot would overlap
   * it: a misleading error later). A chunk whose slot column is -1 throughout
   * has no SLOT_ADD (`checkEvents` allows only ops naming no memslot there),
   * so only chunks with memslot ops or AT rows are searched for one.
   */
  private checkChunkEvents(events: TraceEvents, chunk: ChunkHeader, k: number, position: number): void {
    const header = this.header;
    const constant = arithmeticColumns(chunk, true);
    const bad = checkEvents(events, 0, chunk.count, header.vcpuCount, arithmeticColumns(chunk), constant, header.touchedEndGpa);
    if (bad !== undefined) this.fail(`chunk ${k}`, position, `event ${bad.index}: column ${bad.column}: ${bad.problem}`);
    const noSlots = constant.has('slot') && events.slot[0] === -1;
    const slotAdd = noSlots ? -1 : events.op.subarray(0, chunk.count).indexOf(Op.SLOT_ADD);
    if (slotAdd < 0) return;
    if (!header.declaresSlots) {
      const flag = `flag bit 0, header byte ${HEADER_OFFSET.flags}`;
      this.fail(`chunk ${k}`, position, `event ${slotAdd}: column op: SLOT_ADD in a trace whose header does not declare memslots (${flag})`);
    }
    this.sawSlotAdd = true;
  }

  /** Throw the `InputError` of `part` (`header`, `chunk K`, `end marker`) at byte `offset`. */
  private fail(part: string, offset: number, message: string): never {
    throw new InputError(`${this.path}: ${part}: ${message} (byte ${offset})`);
  }

  /**
   * Skip to the end without decoding payloads (chunk headers are still
   * checked): the event count of a file whose header does not record it.
   */
  countEvents(): number {
    let total = this.total;
    let position = this.position;
    for (let k = this.chunkIndex; ; k++) {
      const head = this.source.read(position, CHUNK_HEADER_BYTES, 0);
      if (head.length < 8) this.fail(`chunk ${k}`, position, `truncated: the file ends after ${this.source.size} bytes`);
      const view = new DataView(head.buffer, head.byteOffset, head.length);
      if (view.getUint32(0, true) === END_TAG) return total;
      if (head.length < CHUNK_HEADER_BYTES || view.getUint32(0, true) !== CHUNK_TAG) {
        this.fail(`chunk ${k}`, position, 'not a chunk header');
      }
      const chunk = parseChunkHeader(view, this.header.chunkRecords, this.header.vcpuCount);
      if (typeof chunk === 'string') this.fail(`chunk ${k}`, position, chunk);
      total += chunk.count;
      position += CHUNK_HEADER_BYTES + chunk.payloadBytes;
    }
  }

  /** Release the file (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.source.close();
  }

  /** The end marker: its count matches the chunks and the header, and nothing follows it. */
  private checkEnd(view: DataView, position: number): void {
    const at = (message: string, offset = position): never => this.fail('end marker', offset, message);
    const size = this.source.size;
    if (view.byteLength < END_MARKER_BYTES) at(`truncated: the file ends inside the ${END_MARKER_BYTES}-byte end marker`);
    const stated = view.getBigUint64(8, true);
    if (view.getUint32(4, true) !== 0 || stated !== BigInt(this.total)) at(`counts ${stated} events, the chunks hold ${this.total}`);
    const announced = this.header.eventCount;
    if (announced >= 0 && announced !== this.total) at(`the header announces ${announced} events, the chunks hold ${this.total}`);
    const after = position + END_MARKER_BYTES;
    if (after !== size) at(`${size - after} unexpected bytes after it`, after);
  }
}

/** Parse and check the file header and source description. */
function readHeader(source: ByteSource, path: string): MtrHeader {
  const fail = (offset: number, message: string): never => {
    throw new InputError(`${path}: header: ${message} (byte ${offset})`);
  };
  if (!hostIsLittleEndian()) throw new InputError(`${path}: binary traces need a little-endian host`);
  const bytes = source.read(0, FILE_HEADER_BYTES, 0);
  if (bytes.length < MTR_MAGIC.length || MTR_MAGIC.some((byte, i) => bytes[i] !== byte)) {
    fail(0, 'not a binary trace: the file does not start with the .mtr magic bytes 89 4d 54 52 0d 0a 1a 0a');
  }
  if (bytes.length < FILE_HEADER_BYTES) fail(bytes.length, `truncated: the file ends inside the ${FILE_HEADER_BYTES}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, FILE_HEADER_BYTES);
  const u32 = (offset: number): number => view.getUint32(offset, true);
  const u64 = (offset: number): bigint => view.getBigUint64(offset, true);
  const version = u32(HEADER_OFFSET.version);
  if (version !== MTR_VERSION) fail(HEADER_OFFSET.version, `unsupported .mtr version ${version} (this mmubench reads version ${MTR_VERSION})`);
  const sourceBytes = u32(HEADER_OFFSET.sourceBytes);
  if (sourceBytes > MAX_SOURCE_BYTES) fail(HEADER_OFFSET.sourceBytes, `source description of ${sourceBytes} bytes (at most ${MAX_SOURCE_BYTES})`);
  const headerBytes = u32(HEADER_OFFSET.headerBytes);
  if (headerBytes !== FILE_HEADER_BYTES + align8(sourceBytes)) {
    fail(HEADER_OFFSET.headerBytes, `header length ${headerBytes} does not match ${FILE_HEADER_BYTES} + a ${sourceBytes}-byte source padded to 8`);
  }
  const flags = u32(HEADER_OFFSET.flags);
  if ((flags & ~KNOWN_FLAGS) !== 0) fail(HEADER_OFFSET.flags, `unknown flag bits 0x${(flags & ~KNOWN_FLAGS).toString(16)}`);
  const vcpuCount = u32(HEADER_OFFSET.vcpuCount);
  if (vcpuCount > MAX_VCPU_ID + 1) fail(HEADER_OFFSET.vcpuCount, `vCPU count ${vcpuCount} is larger than ${MAX_VCPU_ID + 1}`);
  const rawCount = u64(HEADER_OFFSET.eventCount);
  const eventCount = rawCount === 0xffff_ffff_ffff_ffffn ? -1 : Number(rawCount);
  if (eventCount > MAX_EVENT_COUNT) fail(HEADER_OFFSET.eventCount, `event count ${rawCount} is larger than ${MAX_EVENT_COUNT}`);
  const touchedEndGpa = u64(HEADER_OFFSET.touchedEndGpa);
  if (touchedEndGpa > BigInt(GPA_LIMIT)) fail(HEADER_OFFSET.touchedEndGpa, `touched end ${touchedEndGpa} is beyond 2^52`);
  const chunkRecords = u32(HEADER_OFFSET.chunkRecords);
  if (chunkRecords < 1 || chunkRecords > MAX_CHUNK_RECORDS) {
    fail(HEADER_OFFSET.chunkRecords, `chunk size ${chunkRecords} is not from 1 to ${MAX_CHUNK_RECORDS} events`);
  }
  for (let offset = HEADER_OFFSET.sourceBytes + 4; offset < FILE_HEADER_BYTES; offset++) {
    if (bytes[offset] !== 0) fail(offset, 'reserved header bytes must be zero');
  }
  if (source.size < headerBytes) fail(source.size, `truncated: the file ends inside the ${headerBytes}-byte header`);
  const sourceArea = source.read(FILE_HEADER_BYTES, headerBytes - FILE_HEADER_BYTES, 0);
  for (let offset = sourceBytes; offset < sourceArea.length; offset++) {
    if (sourceArea[offset] !== 0) fail(FILE_HEADER_BYTES + offset, 'source padding bytes must be zero');
  }
  const sourceText = sourceArea.subarray(0, sourceBytes);
  let description = '';
  try {
    description = new TextDecoder('utf-8', { fatal: true }).decode(sourceText);
  } catch {
    fail(FILE_HEADER_BYTES, 'the source description is not valid UTF-8');
  }
  if (eventCount >= 0) {
    // Every chunk holds at most chunkRecords events: refuse a count the file is too short for before any allocation.
    const needed = headerBytes + Math.ceil(eventCount / chunkRecords) * CHUNK_HEADER_BYTES + END_MARKER_BYTES;
    if (needed > source.size) fail(HEADER_OFFSET.eventCount, `truncated: ${eventCount} events need at least ${needed} bytes, the file has ${source.size}`);
  }
  return {
    version,
    headerBytes,
    flags,
    vcpuCount,
    eventCount,
    touchedEndGpa: Number(touchedEndGpa),
    declaresSlots: (flags & FLAG_DECLARES_SLOTS) !== 0,
    chunkRecords,
    source: description,
  };
}
