/**
 * Reads a CSV trace (format v1) chunk by chunk, synchronously, checking every
 * row as it goes (csvRows.ts): the CSV counterpart of `MtrChunkReader`, so a
 * replay worker pulls the next chunk of a CSV trace between two events as it
 * does for a `.mtr` one, and memory stays one chunk however long the file.
 *
 * Two parsers: `bytes` (csvPlainRows.ts) reads plain files from a reused
 * Buffer, 1 MiB per read, a line cut by the end of a read carried to the
 * next; `csv-parse` takes every other file (quotes, whitespace, `\r` line
 * ends, ...), fed 64 KiB at a time through its synchronous parser. A file
 * the byte parser finds not plain throws `NotPlainCsv` (before any row of
 * that line is taken): the caller reads it again with csv-parse.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { Parser, type Options } from 'csv-parse';
import { InputError, located } from '../errors.js';
import { fileError } from './fileError.js';
import { CsvRowChecker } from './csvRows.js';
import { NOT_PLAIN, PlainRows } from './csvPlainRows.js';
import type { TraceEvents } from './traceEvents.js';

/** Which parser reads a CSV file: the byte parser (plain files) or csv-parse (any file). */
export type CsvParser = 'bytes' | 'csv-parse';

/** The csv-parse options of trace format v1 (docs/trace-format.md "File rules"). */
export const CSV_OPTIONS: Options = {
  bom: true,
  comment: '#',
  comment_no_infix: true,
  skip_empty_lines: true,
  trim: true,
  relax_column_count: true,
};

/** Events per chunk handed out (as `.mtr`'s default chunk). */
export const CSV_CHUNK_EVENTS = 65536;
/** Bytes per read of the byte parser (the buffer grows only for a longer line). */
const BLOCK_BYTES = 1 << 20;
/** Bytes per read fed to csv-parse (it keeps views of them, so each is a new buffer). */
const CSV_PARSE_BLOCK_BYTES = 1 << 16;
const BOM = [0xef, 0xbb, 0xbf];
const LF = 0x0a;
const CR = 0x0d;

/** Thrown by the byte parser for a file that needs csv-parse (never escapes `csvTraceReader.ts`). */
export class NotPlainCsv extends Error {}

/** A chunk: the events and, for the (time, file order) sort of a whole read, their times. */
export type CsvChunk = TraceEvents & { time: Float64Array };

/** csv-parse's synchronous core, as its stream and sync front ends drive it. */
interface CsvParseApi {
  parse(buf: Buffer | undefined, end: boolean, push: (record: string[]) => void, close: () => void): (Error & { lines?: number }) | undefined;
  info: { lines: number };
}

/** Chunk-by-chunk reader of one CSV file; `close()` when done (idempotent). */
export class CsvChunkReader {
  readonly checker: CsvRowChecker;
  private fd: number | undefined;
  private ended = false;
  // Byte parser state.
  private readonly rows: PlainRows;
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes held in `buffer`; complete lines end before `limit`. */
  private end = 0;
  private limit = 0;
  private first = true;
  private lineEndKnown = false;
  private eof = false;
  private fileBytesRead = 0;
  // csv-parse state.
  private api: CsvParseApi | undefined;
  /** Told the file's bytes read so far after each read (a progress display). */
  onRead: ((bytesRead: number) => void) | undefined = undefined;

  private constructor(
    readonly path: string,
    readonly parser: CsvParser,
    blockBytes: number,
  ) {
    this.checker = new CsvRowChecker(path);
    this.rows = new PlainRows(this.checker);
    try {
      this.fd = openSync(path, 'r');
    } catch (error) {
      throw fileError(path, error);
    }
    if (parser === 'bytes') this.buffer = Buffer.allocUnsafe(blockBytes + 2);
    else this.api = (new Parser(CSV_OPTIONS) as unknown as { api: CsvParseApi }).api;
  }

  /**
   * Open `path` for `parser`, reading `blockBytes` at a time (the byte
   * parser; a line longer than that grows the buffer). Throws `InputError`
   * when it cannot be opened.
   */
  static openFile(path: string, parser: CsvParser, blockBytes = BLOCK_BYTES): CsvChunkReader {
    return new CsvChunkReader(path, parser, Math.max(1, blockBytes));
  }

  /**
   * The next chunk of about `events` events (valid until the next call), or
   * undefined at the end of the file. Throws `InputError`, or `NotPlainCsv`
   * from the byte parser.
   */
  next(events = CSV_CHUNK_EVENTS): CsvChunk | undefined {
    const builder = this.checker.events;
    builder.clear();
    this.readUntil(events);
    if (builder.count === 0) return undefined;
    const { count, op, vcpu, gpa, sizeBytes, slot, line, time } = builder;
    return { count, op, vcpu, gpa, sizeBytes, slot, line, time };
  }

  /** Check every remaining row, keeping none (a checking pass: `checker.summary()` after). */
  checkAll(): void {
    this.checker.keep = false;
    this.readUntil(Number.POSITIVE_INFINITY);
  }

  /** Every remaining row into `checker.events`, which keeps them all (a whole read). */
  readAll(): void {
    this.readUntil(Number.POSITIVE_INFINITY);
  }

  /** Release the file (idempotent). */
  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Rows into `checker.events` until it holds `events` or the file ends. */
  readUntil(events: number): void {
    const builder = this.checker.events;
    if (this.parser === 'csv-parse') {
      while (builder.count < events && !this.ended) this.feedCsvParse();
      return;
    }
    while (builder.count < events) {
      if (this.rows.position >= this.limit && !this.fill()) return;
      if (this.rows.parseLines(this.buffer, this.limit, events) === NOT_PLAIN) throw new NotPlainCsv(this.path);
    }
  }

  /** Bytes from the file after the carried part line, up to a line end; false at the end of the file. */
  private fill(): boolean {
    if (this.eof) return false;
    const rows = this.rows;
    // 1. The part line to the front.
    this.buffer.copyWithin(0, rows.position, this.end);
    let end = this.end - rows.position;
    rows.position = 0;
    this.limit = 0;
    for (;;) {
      if (end + 2 >= this.buffer.length) {
        const grown = Buffer.allocUnsafe(this.buffer.length * 2); // a line longer than the buffer
        this.buffer.copy(grown, 0, 0, end);
        this.buffer = grown;
      }
      const buffer = this.buffer;
      const bytesRead = this.read(buffer, end, buffer.length - 2 - end);
      end += bytesRead;
      // 2. The BOM, once the file's first bytes are in.
      if (this.first && (end >= BOM.length || bytesRead === 0)) {
        this.first = false;
        if (end >= BOM.length && BOM.every((byte, i) => buffer[i] === byte)) rows.position = BOM.length;
      }
      const lastLf = end > 0 ? buffer.lastIndexOf(LF, end - 1) : -1;
      if (bytesRead === 0) {
        // 3. The end of the file: a last line without its line end gets one.
        this.eof = true;
        if (end === rows.position) return false;
        if (!this.lineEndKnown) rows.crlf = false;
        if (buffer[end - 1] !== LF) {
          if (rows.crlf) buffer[end++] = CR;
          buffer[end++] = LF;
        }
        this.end = this.limit = end;
        return true;
      }
      if (lastLf < rows.position) continue; // no complete line yet
      // 4. The file's line end, from its first line.
      if (!this.lineEndKnown) {
        const firstLf = buffer.indexOf(LF, rows.position);
        rows.crlf = firstLf > rows.position && buffer[firstLf - 1] === CR;
        this.lineEndKnown = true;
      }
      this.end = end;
      this.limit = lastLf + 1;
      return true;
    }
  }

  /** One block through csv-parse (the last call flushes it). */
  private feedCsvParse(): void {
    const api = this.api!;
    const block = Buffer.allocUnsafe(CSV_PARSE_BLOCK_BYTES);
    const bytesRead = this.read(block, 0, block.length);
    const push = (record: string[]): void => this.checker.accept(record, api.info.lines);
    const error = bytesRead === 0 ? api.parse(undefined, true, push, () => undefined) : api.parse(block.subarray(0, bytesRead), false, push, () => undefined);
    if (bytesRead === 0) this.ended = true;
    if (error !== undefined) {
      // csv-parse's own errors carry the line.
      if (typeof error.lines === 'number') throw new InputError(located(this.path, error.lines, undefined, error.message));
      throw new InputError(`${this.path}: ${error.message}`);
    }
  }

  /** Bytes of the file whose rows have been handed to the checker (about: csv-parse holds a part line). */
  get bytesParsed(): number {
    return this.parser === 'bytes' ? this.fileBytesRead - (this.end - this.rows.position) : this.fileBytesRead;
  }

  private read(into: Buffer, offset: number, length: number): number {
    try {
      const bytesRead = readSync(this.fd!, into, offset, length, null);
      this.fileBytesRead += bytesRead;
      this.onRead?.(this.fileBytesRead);
      return bytesRead;
    } catch (error) {
      throw fileError(this.path, error);
    }
  }
}
