/**
 * An `ImportSink` that writes trace format v1 CSV (docs/trace-format.md) in
 * constant memory. Rows are encoded straight into a byte buffer (no string
 * per row) and streamed to a temporary body file; `finish` then writes the
 * header comments (which need the final skip counts), the header row and the
 * body into a second temporary file and renames it into place. On any error,
 * or `abort`, both temporaries are removed and `OUT` is left untouched.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { InputError } from '../../errors.js';
import { OP_NAMES, type Op } from '../ops.js';
import type { ImportSink } from './importTypes.js';
import { escapeControlCharacters } from './skipCounter.js';

const BUFFER_BYTES = 1 << 20;
/** Longest encoded row: vcpu, op, 0x + 13 hex digits, two 16-digit numbers, separators. */
const MAX_ROW_BYTES = 96;
const OP_BYTES = OP_NAMES.map((name) => Buffer.from(name, 'latin1'));
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const TWO_POW_32 = 2 ** 32;

/** A header comment as one line: control characters (say, in a file name) become `\xNN`. */
export function commentLine(text: string): string {
  return `# ${escapeControlCharacters(text)}`;
}

export class CsvTraceWriter implements ImportSink {
  private readonly bodyPath: string;
  private readonly finalTemp: string;
  private readonly body: WriteStream;
  private buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private pos = 0;
  private failure: Error | undefined;
  private readonly scratch = new Uint8Array(20);

  /** `time`: rows carry a `time` column (else a `size` column). */
  constructor(
    private readonly outPath: string,
    private readonly time: boolean,
  ) {
    this.bodyPath = `${outPath}.body.tmp-${process.pid}`;
    this.finalTemp = `${outPath}.tmp-${process.pid}`;
    this.body = createWriteStream(this.bodyPath);
    this.body.on('error', (error) => {
      this.failure = error;
    });
  }

  /** The header row this writer's rows follow. */
  get header(): string {
    return this.time ? 'vcpu,op,gpa,time' : 'vcpu,op,gpa,size';
  }

  access(op: Op, vcpu: number, gpa: number, sizeBytes: number, _input: number, _line: number, timeNs: number): void {
    if (this.pos > BUFFER_BYTES - MAX_ROW_BYTES) this.flush();
    this.decimal(vcpu);
    this.byte(0x2c);
    const name = OP_BYTES[op];
    name.copy(this.buffer, this.pos);
    this.pos += name.length;
    this.byte(0x2c);
    this.byte(0x30);
    this.byte(0x78);
    this.hex(gpa);
    this.byte(0x2c);
    this.decimal(this.time ? timeNs : sizeBytes);
    this.byte(0x0a);
  }

  async drain(): Promise<void> {
    if (this.failure) throw this.writeError(this.failure);
    // `writableNeedDrain`, not a flag set by `flush`: the stream may have drained
    // (and emitted 'drain') while the importer awaited its next input chunk, and
    // waiting for a 'drain' that already happened would never end.
    if (this.body.writableNeedDrain) await once(this.body, 'drain');
  }

  /** Write `comments` (one `# ` line each), the header row and the rows to OUT, atomically. */
  async finish(comments: readonly string[]): Promise<void> {
    try {
      this.flush();
      this.body.end();
      await once(this.body, 'finish');
      if (this.failure) throw this.failure;
      const out = createWriteStream(this.finalTemp);
      out.write(comments.map((c) => `${commentLine(c)}\n`).join('') + `${this.header}\n`);
      await pipeline(createReadStream(this.bodyPath), out);
      await rename(this.finalTemp, this.outPath);
    } catch (error) {
      await this.abort();
      throw this.writeError(error as Error);
    }
    await rm(this.bodyPath, { force: true });
  }

  /** Remove the temporaries (after a failed import). */
  async abort(): Promise<void> {
    this.body.destroy();
    await rm(this.bodyPath, { force: true });
    await rm(this.finalTemp, { force: true });
  }

  private writeError(error: Error): InputError {
    return error instanceof InputError ? error : new InputError(`--out: cannot write ${this.outPath}: ${error.message}`);
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.body.write(this.buffer.subarray(0, this.pos));
    this.buffer = Buffer.allocUnsafe(BUFFER_BYTES);
    this.pos = 0;
  }

  private byte(value: number): void {
    this.buffer[this.pos++] = value;
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
