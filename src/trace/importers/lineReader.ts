/**
 * Splits an input into lines without decoding it, in constant memory: the
 * current line is a byte range of a chunk (`buf[start, end)`, the `\n` and a
 * trailing `\r` removed, and a UTF-8 BOM at the start of the input). A line
 * longer than `MAX_LINE_BYTES` is never held
 * whole: it is returned once with `tooLong` set and only its first bytes, so
 * a file with no newline at all (say, gigabytes of zeros) cannot exhaust
 * memory or stall a parser.
 *
 * Use (a refill holds no line yet, so it is followed by `next()` again):
 *
 *     for (;;) {
 *       if (!reader.next()) { if (await reader.refill()) continue; break; }
 *       ...the current line...
 *     }
 *
 * - `next()` is synchronous and advances within the chunk held;
 * - `refill()` reads the next chunk and returns false at the end of the input.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileError } from '../fileError.js';
import type { ImportInput, ImportProgress, ImportSink } from './importTypes.js';

/** Longest line a parser ever sees whole; longer lines are skipped as too long. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Bytes of a too-long line kept for the message. */
const TOO_LONG_PREFIX_BYTES = 200;
const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

export class LineReader {
  /** Bytes of the current line: `buf[start, end)`. */
  buf: Buffer = EMPTY;
  start = 0;
  end = 0;
  /** 1-based number of the current line. */
  lineNo = 0;
  /** The current line was longer than `MAX_LINE_BYTES`; `buf[start, end)` holds its first bytes only. */
  tooLong = false;
  /** Bytes read so far and in total (0 when unknown). */
  doneBytes = 0;
  readonly totalBytes: number;

  private data: Buffer = EMPTY;
  private pos = 0;
  private eof = false;
  /** Inside a too-long line: dropping bytes until its newline. */
  private discarding = false;
  private tooLongPrefix: Buffer = EMPTY;
  private pendingTooLong = false;

  private constructor(
    readonly name: string,
    private readonly chunks: AsyncIterator<Buffer>,
    totalBytes: number,
    private readonly onClose: () => void,
  ) {
    this.totalBytes = totalBytes;
  }

  /** Open `input`; a missing or unreadable file is an `InputError`. */
  static async open(input: ImportInput): Promise<LineReader> {
    if (input.path === undefined) {
      const bytes = Buffer.from(input.bytes ?? EMPTY);
      return new LineReader(input.name, memoryChunks(bytes, input.chunkBytes ?? Math.max(1, bytes.length)), bytes.length, () => {});
    }
    const path = input.path;
    let size: number;
    try {
      const info = await stat(path);
      if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      size = info.size;
    } catch (error) {
      throw fileError(path, error);
    }
    const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
    const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const chunks: AsyncIterator<Buffer> = {
      next: async () => {
        try {
          return await iterator.next();
        } catch (error) {
          throw fileError(path, error);
        }
      },
    };
    return new LineReader(input.name, chunks, size, () => stream.destroy());
  }

  /** Advance to the next line held in memory; false when a `refill()` is needed. */
  next(): boolean {
    if (this.pendingTooLong) {
      this.pendingTooLong = false;
      this.lineNo++;
      this.buf = this.tooLongPrefix;
      this.start = 0;
      this.end = this.tooLongPrefix.length;
      this.tooLong = true;
      return true;
    }
    const data = this.data;
    const nl = data.indexOf(NEWLINE, this.pos);
    if (nl < 0) return false;
    this.lineNo++;
    this.buf = data;
    this.start = this.pos;
    // A UTF-8 byte order mark (a file saved by some editors) is not part of line 1.
    if (this.lineNo === 1 && nl - this.start >= 3 && data[this.start] === 0xef && data[this.start + 1] === 0xbb && data[this.start + 2] === 0xbf) {
      this.start += 3;
    }
    let end = nl;
    if (end > this.start && data[end - 1] === CR) end--;
    this.tooLong = end - this.start > MAX_LINE_BYTES;
    this.end = this.tooLong ? this.start + TOO_LONG_PREFIX_BYTES : end;
    this.pos = nl + 1;
    return true;
  }

  /** Read the next chunk. Returns false once every line has been returned. */
  async refill(): Promise<boolean> {
    if (this.eof) return this.finishLastLine();
    const rest = this.data.subarray(this.pos);
    const result = await this.chunks.next();
    if (result.done) {
      this.eof = true;
      return this.finishLastLine();
    }
    const chunk = result.value;
    this.doneBytes += chunk.length;
    if (this.discarding) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl < 0) return true;
      this.discarding = false;
      this.pendingTooLong = true;
      this.data = chunk;
      this.pos = nl + 1;
      return true;
    }
    this.data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    this.pos = 0;
    if (this.data.length > MAX_LINE_BYTES && this.data.indexOf(NEWLINE) < 0) this.startDiscarding();
    return true;
  }

  /** The current line as text (for regex parsers and messages). */
  text(): string {
    return this.buf.toString('utf8', this.start, this.end);
  }

  close(): void {
    this.onClose();
  }

  /** At the end of input: a last line without a newline is still a line. */
  private finishLastLine(): boolean {
    if (this.discarding) {
      this.discarding = false;
      this.pendingTooLong = true;
      return true;
    }
    if (this.pos < this.data.length) {
      const rest = this.data.subarray(this.pos);
      if (rest.length > MAX_LINE_BYTES) {
        this.startDiscarding();
        this.discarding = false;
        this.pendingTooLong = true;
        return true;
      }
      this.data = Buffer.concat([rest, Buffer.from([NEWLINE])]);
      this.pos = 0;
      return true;
    }
    return false;
  }

  private startDiscarding(): void {
    this.tooLongPrefix = Buffer.from(this.data.subarray(this.pos, this.pos + TOO_LONG_PREFIX_BYTES));
    this.discarding = true;
    this.data = EMPTY;
    this.pos = 0;
  }
}

function memoryChunks(bytes: Buffer, chunkBytes: number): AsyncIterator<Buffer> {
  let offset = 0;
  return {
    next: async () => {
      if (offset >= bytes.length) return { done: true, value: undefined };
      const chunk = bytes.subarray(offset, offset + chunkBytes);
      offset += chunkBytes;
      return { done: false, value: chunk };
    },
  };
}

/**
 * Every line of `inputs`, one input after the other (one capture): `line`
 * gets the reader on each line (`tooLong` ones included), the input's index
 * and name. After each chunk the sink drains and progress is reported over
 * all inputs' bytes. The readers are closed at the end, also on a throw.
 * Returns the number of lines read.
 */
export async function readInputsInTurn(
  inputs: readonly ImportInput[],
  sink: Pick<ImportSink, 'drain'>,
  onProgress: ImportProgress | undefined,
  line: (reader: LineReader, inputIndex: number, file: string) => void,
): Promise<number> {
  const readers: LineReader[] = [];
  let lines = 0;
  try {
    for (const input of inputs) readers.push(await LineReader.open(input));
    const totalBytes = readers.reduce((sum, r) => sum + r.totalBytes, 0);
    let bytesBefore = 0;
    for (let inputIndex = 0; inputIndex < readers.length; inputIndex++) {
      const reader = readers[inputIndex];
      const file = inputs[inputIndex].name;
      for (;;) {
        if (reader.next()) {
          line(reader, inputIndex, file);
          continue;
        }
        const more = await reader.refill();
        await sink.drain?.();
        onProgress?.(bytesBefore + reader.doneBytes, totalBytes);
        if (!more) break;
      }
      lines += reader.lineNo;
      bytesBefore += reader.doneBytes;
    }
  } finally {
    for (const reader of readers) reader.close();
  }
  return lines;
}
