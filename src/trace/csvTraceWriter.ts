/**
 * The one writer of trace format v1 CSV (docs/trace-format.md), for `import`
 * (an `ImportSink`: rows pushed as they are decoded, header comments known only
 * at the end) and for `convert` (`writeCsvTrace`: the events of a `Trace`).
 *
 * Constant memory: rows are encoded straight into a byte buffer (no string per
 * row; rows are plain numbers and op names that never need quoting, so no CSV
 * library) and streamed to a temporary file. Atomic: OUT appears only at
 * `finish`, by rename; on any error, or `abort`, the temporaries are removed
 * and OUT is left untouched. With header comments, the rows go to a temporary
 * body file and `finish` writes the comments, the header row and the body into
 * a second temporary; without, the header row goes first and there is one.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { destroyStream } from './destroyStream.js';
import { InputError } from '../errors.js';
import { OP_NAMES, Op, needsSlot } from './ops.js';
import { AT_VARIANT_NAMES } from './atVariant.js';
import type { Trace } from './traceEvents.js';
import { openEventChunks, forEachEventChunk } from './eventChunks.js';
import { maxFrom } from '../typedArrays.js';
import type { ImportSink } from './importers/importTypes.js';
import { escapeControlCharacters } from './importers/skipCounter.js';

const BUFFER_BYTES = 1 << 20;
/** Longest encoded row: vcpu, op, 0x + 13 hex digits, two 16-digit numbers, a slot, an AT variant, separators. */
const MAX_ROW_BYTES = 120;
const AT_BYTES = AT_VARIANT_NAMES.map((name) => Buffer.from(name, 'latin1'));
const OP_BYTES = OP_NAMES.map((name) => Buffer.from(name, 'latin1'));
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const TWO_POW_32 = 2 ** 32;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
/** Rows `writeCsvTrace` encodes between two waits for the file stream. */
const BATCH_ROWS = 65536;
/** Extra empty lines allowed beyond one per event when keeping line numbers. */
const SPARE_EMPTY_LINES = 1000;

/** A header comment as one line: control characters (say, in a file name) become `\xNN`. */
export function commentLine(text: string): string {
  return `# ${escapeControlCharacters(text)}`;
}

export interface CsvTraceWriterOptions {
  /** Rows carry a `time` column instead of `size` (ftrace imports). */
  time?: boolean;
  /** Rows carry an `x_slot` column: the slot of SLOT_* rows, empty on the others. */
  slotColumn?: boolean;
  /** Rows carry an `x_at` column: the variant of AT rows, empty on the others. */
  atColumn?: boolean;
  /** `finish` is given header comments (import: they need the final counts); without, it must be given none. */
  headerComments?: boolean;
  /** Flag named by a write error (`--out: cannot write PATH: ...`); without, `PATH: cannot write: ...`. */
  flag?: string;
}

export class CsvTraceWriter implements ImportSink {
  private readonly rowsPath: string;
  private readonly finalTemp: string;
  private readonly rows: WriteStream;
  private buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private pos = 0;
  private failure: Error | undefined;
  private readonly scratch = new Uint8Array(20);

  constructor(
    private readonly outPath: string,
    private readonly options: CsvTraceWriterOptions = {},
  ) {
    this.finalTemp = `${outPath}.tmp-${process.pid}`;
    this.rowsPath = options.headerComments ? `${outPath}.body.tmp-${process.pid}` : this.finalTemp;
    this.rows = createWriteStream(this.rowsPath);
    this.rows.on('error', (error) => {
      this.failure = error;
    });
    if (!options.headerComments) this.rows.write(`${this.header}\n`);
  }

  /** The header row this writer's rows follow. */
  get header(): string {
    return `vcpu,op,gpa,${this.options.time ? 'time' : 'size'}${this.options.slotColumn ? ',x_slot' : ''}${this.options.atColumn ? ',x_at' : ''}`;
  }

  /** An imported access row (`ImportSink`): its size, or its time with `time`. */
  access(op: Op, vcpu: number, gpa: number, sizeBytes: number, _input: number, _line: number, timeNs: number): void {
    this.row(op, vcpu, gpa, this.options.time ? timeNs : sizeBytes, -1);
  }

  /**
   * One row: `vcpu,op,0xgpa,value` with `value` the size (or the time with `time`), then with
   * `slotColumn` `,slot` (empty when `slot` < 0), then with `atColumn` `,variant` (the name of
   * `atVariant`, an `AtVariant`; empty when < 0). All non-negative integers below 2^53 (gpa 2^52).
   */
  row(op: Op, vcpu: number, gpa: number, value: number, slot: number, atVariant = -1): void {
    if (this.pos > BUFFER_BYTES - MAX_ROW_BYTES) this.flush();
    this.decimal(vcpu);
    this.buffer[this.pos++] = COMMA;
    const name = OP_BYTES[op];
    name.copy(this.buffer, this.pos);
    this.pos += name.length;
    this.buffer[this.pos++] = COMMA;
    this.buffer[this.pos++] = 0x30; // 0
    this.buffer[this.pos++] = 0x78; // x
    this.hex(gpa);
    this.buffer[this.pos++] = COMMA;
    this.decimal(value);
    if (this.options.slotColumn) {
      this.buffer[this.pos++] = COMMA;
      if (slot >= 0) this.decimal(slot);
    }
    if (this.options.atColumn) {
      this.buffer[this.pos++] = COMMA;
      if (atVariant >= 0) {
        const name = AT_BYTES[atVariant];
        name.copy(this.buffer, this.pos);
        this.pos += name.length;
      }
    }
    this.buffer[this.pos++] = NEWLINE;
  }

  /** `count` empty lines (convert keeps the events' line numbers with them). */
  emptyLines(count: number): void {
    for (let left = count; left > 0; ) {
      if (this.pos === BUFFER_BYTES) this.flush();
      const n = Math.min(left, BUFFER_BYTES - this.pos);
      this.buffer.fill(NEWLINE, this.pos, this.pos + n);
      this.pos += n;
      left -= n;
    }
  }

  /** Wait while the file stream is over its high-water mark (after each chunk of input). */
  async drain(): Promise<void> {
    if (this.failure) throw this.writeError(this.failure);
    // `writableNeedDrain`, not a flag set by `flush`: the stream may have drained
    // (and emitted 'drain') while the importer awaited its next input chunk, and
    // waiting for a 'drain' that already happened would never end.
    if (this.rows.writableNeedDrain) await once(this.rows, 'drain');
  }

  /** Write `comments` (one `# ` line each), the header row and the rows to OUT, atomically. */
  async finish(comments: readonly string[]): Promise<void> {
    try {
      if (comments.length > 0 && !this.options.headerComments) throw new Error('header comments need the headerComments option');
      this.flush();
      this.rows.end();
      await once(this.rows, 'finish');
      if (this.failure) throw this.failure;
      if (this.options.headerComments) {
        const out = createWriteStream(this.finalTemp);
        out.write(comments.map((c) => `${commentLine(c)}\n`).join('') + `${this.header}\n`);
        await pipeline(createReadStream(this.rowsPath), out);
        await rm(this.rowsPath, { force: true });
      }
      await rename(this.finalTemp, this.outPath);
    } catch (error) {
      await this.abort();
      throw this.writeError(error as Error);
    }
  }

  /** Remove the temporaries (after a failed import or conversion). */
  async abort(): Promise<void> {
    await destroyStream(this.rows);
    await rm(this.rowsPath, { force: true });
    await rm(this.finalTemp, { force: true });
  }

  private writeError(error: Error): InputError {
    if (error instanceof InputError) return error;
    const flag = this.options.flag;
    return new InputError(flag === undefined ? `${this.outPath}: cannot write: ${error.message}` : `${flag}: cannot write ${this.outPath}: ${error.message}`);
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.rows.write(this.buffer.subarray(0, this.pos));
    this.buffer = Buffer.allocUnsafe(BUFFER_BYTES);
    this.pos = 0;
  }

  /** A non-negative integer below 2^53, in decimal. */
  private decimal(value: number): void {
    let n = value;
    let count = 0;
    do {
      this.scratch[count++] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
    while (count > 0) this.buffer[this.pos++] = this.scratch[--count];
  }

  /** A non-negative integer below 2^52, in lower-case hex without a prefix. */
  private hex(value: number): void {
    const high = Math.floor(value / TWO_POW_32);
    const low = value % TWO_POW_32;
    let count = 0;
    let n = low;
    for (let digits = 0; digits < 8 && (n > 0 || high > 0 || digits === 0); digits++) {
      this.scratch[count++] = HEX_DIGITS[n % 16];
      n = Math.floor(n / 16);
    }
    n = high;
    while (n > 0) {
      this.scratch[count++] = HEX_DIGITS[n % 16];
      n = Math.floor(n / 16);
    }
    while (count > 0) this.buffer[this.pos++] = this.scratch[--count];
  }
}

/** What the first pass over a trace finds: whether lines can be kept, and whether slot and AT columns are needed. */
interface CsvPlan {
  keepLines: boolean;
  slotColumn: boolean;
  atColumn: boolean;
}

/**
 * Lines are kept when they strictly ascend from line 2 on (after the header)
 * and the gaps take at most events + 1000 empty lines; the slot column is
 * there when a row names a memslot, the AT column when there is an AT row.
 */
function planCsv(trace: Trace): CsvPlan {
  let ascending = true;
  let slotColumn = false;
  let atColumn = false;
  let previous = 1;
  let count = 0;
  forEachEventChunk(trace, ({ count: n, line, op }) => {
    for (let i = 0; i < n && ascending; i++) {
      if (line[i] <= previous) ascending = false;
      previous = line[i];
    }
    for (let i = 0; i < n && !slotColumn; i++) slotColumn = needsSlot(op[i] as Op);
    for (let i = 0; i < n && !atColumn; i++) atColumn = op[i] === Op.AT;
    count += n;
  });
  const emptyLines = previous - 1 - count;
  return { keepLines: ascending && emptyLines <= count + SPARE_EMPTY_LINES, slotColumn, atColumn };
}

/**
 * Write `trace` (in memory or streamed) to `path` as CSV, the way back from a
 * binary trace, atomically; the same trace always gives the same bytes:
 *
 *   vcpu,op,gpa,size[,x_slot][,x_at]  header on line 1; x_slot only when a row names a memslot, x_at when there is an AT row
 *   0,R,0x1000,8                   vcpu decimal, op name, gpa 0x-hex, size decimal
 *
 * Rows are in replay order, so a time-ordered trace needs no time column.
 * When the events' line numbers can be kept (`planCsv`), empty lines fill the
 * gaps (where the original had comments), so reading the CSV back gives the
 * same `line` of every event; otherwise rows follow each other from line 2.
 * `onProgress` is told the events written so far and the total, after each
 * chunk. Throws `InputError` when the file cannot be written.
 *
 * Returns the vCPU count the CSV says (its highest vcpu + 1, 0 without
 * rows): a CSV has no field for vCPUs that ran no event, so a binary
 * trace's header may say more (`trace.vcpuCount`).
 */
export async function writeCsvTrace(
  trace: Trace,
  path: string,
  onProgress?: (doneEvents: number, totalEvents: number) => void,
): Promise<{ vcpuCount: number }> {
  const { keepLines, slotColumn, atColumn } = planCsv(trace);
  const writer = new CsvTraceWriter(path, { slotColumn, atColumn });
  const source = openEventChunks(trace);
  try {
    let lastLine = 1;
    let done = 0;
    let maxVcpu = -1;
    for (let chunk = source.next(); chunk !== undefined; chunk = source.next()) {
      const { count, op, vcpu, gpa, sizeBytes, slot, line } = chunk;
      maxVcpu = maxFrom(maxVcpu, vcpu, 0, count);
      for (let i = 0; i < count; i++) {
        if (keepLines) {
          writer.emptyLines(line[i] - lastLine - 1);
          lastLine = line[i];
        }
        writer.row(op[i] as Op, vcpu[i], gpa[i], sizeBytes[i], needsSlot(op[i] as Op) ? slot[i] : -1, op[i] === Op.AT ? slot[i] : -1);
        if (i % BATCH_ROWS === BATCH_ROWS - 1) await writer.drain();
      }
      await writer.drain();
      done += count;
      onProgress?.(done, trace.events.count);
    }
    await writer.finish([]);
    return { vcpuCount: maxVcpu + 1 };
  } catch (error) {
    await writer.abort();
    throw error instanceof InputError ? error : new InputError(`${path}: cannot write: ${(error as Error).message}`);
  } finally {
    source.close();
  }
}
