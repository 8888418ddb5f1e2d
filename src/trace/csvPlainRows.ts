/**
 * The byte-level parser of "plain" CSV rows: ASCII cells without quotes or
 * whitespace, `#` only at the start of a (comment) line, every line ending
 * in `\n`, or every line in `\r\n` (decided by the file's first line end).
 * On such bytes csv-parse, with the trace format's options
 * (csvTraceReader.ts), yields exactly the comma-split lines, skipping empty
 * and `#` lines, with the physical line number as `info.lines`; this reads
 * them straight from a Buffer, without a string or an object per row.
 *
 * Access rows (op R, W or X, numbers in the forms the field parsers accept
 * on their fast path) are parsed here, cell by cell, and handed to
 * `CsvRowChecker.acceptAccess`; every other row of a plain file (the header,
 * host events, any cell this does not parse) is split into strings and goes
 * to `CsvRowChecker.accept`, so each rule and message lives once
 * (csvRows.ts). A byte that is not plain makes `parseLines` return
 * `NOT_PLAIN` before that row is handed out: the file is then read with
 * csv-parse from its start.
 */
import { Op } from './ops.js';
import { MAX_VCPU_ID } from './fieldParsers.js';
import type { Columns, CsvRowChecker } from './csvRows.js';

/** `parseLines` result: the row at `PlainRows.position` is not plain. */
export const NOT_PLAIN = -1;

const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const HASH = 0x23;

/** Byte classes: cell bytes, and bytes that end or break a plain cell. */
const ORDINARY = 0;
const BREAK = 1;
const CLASS = new Uint8Array(256);
for (const byte of [LF, CR, COMMA, HASH, 0x22, 0x20, 0x09, 0x0b, 0x0c]) CLASS[byte] = BREAK; // `"`, space, tab, VT, FF
for (let byte = 0x80; byte < 256; byte++) CLASS[byte] = BREAK;
/** Hex digit values, -1 for other bytes. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i;
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** Kinds of header columns the byte parser reads; the rest are only scanned. */
const K_OTHER = 0;
const K_VCPU = 1;
const K_OP = 2;
const K_GPA = 3;
const K_SIZE = 4;
const K_TIME = 5;
/** Hex digits (leading zeros aside) and decimal digits below 2^52 the fast path takes; longer cells go to fieldParsers. */
const MAX_HEX_DIGITS = 13;
const MAX_DEC_DIGITS = 15;
/** vCPU ids of up to as many digits as the highest one (fieldParsers' MAX_VCPU_ID, the one limit). */
const MAX_VCPU_DIGITS = String(MAX_VCPU_ID).length;

/**
 * Parse state over one buffer: `position` is the start of the next line,
 * `line` the physical lines done; lines end before `limit` (each with its
 * `\n`). `crlf` is the file's line end.
 */
export class PlainRows {
  position = 0;
  line = 0;
  crlf = false;
  private kinds: Uint8Array | undefined;
  /** The header is `vcpu,op,gpa[,size][,time]`. */
  private canonical = false;
  private hasSize = false;
  private hasTime = false;
  private readonly record: string[] = [];

  constructor(private readonly checker: CsvRowChecker) {}

  /**
   * Rows of `bytes` from `position` up to `limit`, until the checker holds
   * `until` events. Returns the new position, or `NOT_PLAIN` (position is
   * then the first line that is not plain). Throws `InputError`.
   */
  parseLines(bytes: Uint8Array, limit: number, until: number): number {
    const events = this.checker.events;
    let p = this.position;
    while (p < limit && events.count < until) {
      if (this.canonical) {
        // The usual rows in one loop; it stops at the first row it does not take, handled below.
        p = this.canonicalRows(bytes, p, limit, until);
        if (p >= limit || events.count >= until) break;
      }
      this.line++;
      const c = bytes[p];
      let next: number;
      if (c === LF) next = this.crlf ? NOT_PLAIN : p + 1;
      else if (c === CR && this.crlf && bytes[p + 1] === LF) next = p + 2;
      else if (c === HASH) next = this.comment(bytes, p);
      else {
        next = this.kinds === undefined || this.canonical ? -1 : this.anyOrderRow(bytes, p);
        if (next < 0) next = this.stringRow(bytes, p);
      }
      if (next === NOT_PLAIN) {
        this.line--;
        this.position = p;
        return NOT_PLAIN;
      }
      p = next;
    }
    this.position = p;
    return p;
  }

  /** A comment line from `p` (its `#`): skipped whole; a `\r` in it makes the file not plain. */
  private comment(bytes: Uint8Array, p: number): number {
    let end = p;
    while (bytes[end] !== LF) end++;
    const cr = this.crlf ? end - 1 : end;
    if (this.crlf && bytes[cr] !== CR) return NOT_PLAIN;
    for (let i = p; i < cr; i++) if (bytes[i] === CR) return NOT_PLAIN;
    return end + 1;
  }

  /**
   * Rows in `vcpu,op,gpa[,size][,time]` order (as `gen` and `convert` write
   * them) from `p`, taken one after another while each is an access row in
   * the fast forms, up to `limit` or `until` events: straight-line, numbers
   * scanned inline, the file's facts in locals. Returns the start of the
   * first row not taken (any other row, or the end).
   */
  private canonicalRows(bytes: Uint8Array, p: number, limit: number, until: number): number {
    const { checker, hasSize, hasTime, crlf } = this;
    const events = checker.events;
    let taken = p;
    for (; p < limit && events.count < until; taken = p) {
      // vcpu: 1 to 4 decimal digits.
      let c = bytes[p];
      let vcpu = 0;
      const vcpuStart = p;
      for (; c >= 0x30 && c <= 0x39; c = bytes[++p]) vcpu = vcpu * 10 + (c - 0x30);
      if (p === vcpuStart || p - vcpuStart > MAX_VCPU_DIGITS || vcpu > MAX_VCPU_ID || c !== COMMA) break;
      c = bytes[++p];
      const op = c === 0x52 ? Op.R : c === 0x57 ? Op.W : c === 0x58 ? Op.X : 0;
      if (op === 0 || bytes[p + 1] !== COMMA) break;
      p += 2;
      // gpa: 0x hex inline (the usual form), else `address`.
      let gpa = 0;
      if (bytes[p] === 0x30 && (bytes[p + 1] | 0x20) === 0x78) {
        p += 2;
        const start = p;
        while (bytes[p] === 0x30) p++;
        const significant = p;
        for (let d = HEX[bytes[p]]; d >= 0; d = HEX[bytes[++p]]) gpa = gpa * 16 + d;
        if (p === start || p - significant > MAX_HEX_DIGITS) break;
      } else {
        gpa = address(bytes, p);
        if (gpa < 0) break;
        p = scanEnd;
      }
      let size = 1;
      if (hasSize) {
        if (bytes[p] !== COMMA) break;
        c = bytes[++p];
        if (c >= 0x31 && c <= 0x39) {
          // A decimal size without leading zero (the usual form), inline.
          const start = p;
          size = 0;
          for (; c >= 0x30 && c <= 0x39; c = bytes[++p]) size = size * 10 + (c - 0x30);
          if (p - start > MAX_DEC_DIGITS) break;
        } else if (c !== COMMA && c !== LF && c !== CR) {
          size = address(bytes, p); // an empty size is 1 byte for an access
          if (size < 0) break;
          p = scanEnd;
        }
      }
      let time = 0;
      if (hasTime) {
        if (bytes[p] !== COMMA) break;
        time = decimal(bytes, p + 1, MAX_DEC_DIGITS);
        if (time < 0) break;
        p = scanEnd;
      }
      c = bytes[p];
      if (c === LF && !crlf) p++;
      else if (c === CR && crlf && bytes[p + 1] === LF) p += 2;
      else break;
      checker.acceptAccess(++this.line, op, vcpu, gpa, size, time);
    }
    return taken;
  }

  /** Columns in any order, extras included: cell by cell by the header's kinds. */
  private anyOrderRow(bytes: Uint8Array, p: number): number {
    const kinds = this.kinds!;
    const last = kinds.length - 1;
    let vcpu = 0;
    let op = 0;
    let gpa = 0;
    let size = 1;
    let time = 0;
    for (let field = 0; ; field++) {
      const kind = kinds[field];
      const c = bytes[p];
      if (kind === K_OP) {
        op = c === 0x52 ? Op.R : c === 0x57 ? Op.W : c === 0x58 ? Op.X : 0;
        if (op === 0) return -1;
        p++;
      } else if (kind === K_OTHER) {
        while (CLASS[bytes[p]] === ORDINARY) p++;
      } else if (kind === K_SIZE && (c === COMMA || c === LF || c === CR)) {
        size = 1; // empty: an access without a size is 1 byte
      } else {
        const value = kind === K_GPA || kind === K_SIZE ? address(bytes, p) : decimal(bytes, p, kind === K_VCPU ? MAX_VCPU_DIGITS : MAX_DEC_DIGITS);
        if (value < 0) return -1;
        p = scanEnd;
        if (kind === K_GPA) gpa = value;
        else if (kind === K_SIZE) size = value;
        else if (kind === K_TIME) time = value;
        else if (value > MAX_VCPU_ID) return -1;
        else vcpu = value;
      }
      if (field === last) break;
      if (bytes[p] !== COMMA) return -1;
      p++;
    }
    p = this.lineEnd(bytes, p);
    if (p < 0) return -1;
    this.checker.acceptAccess(this.line, op, vcpu, gpa, size, time);
    return p;
  }

  /** The position after the line end at `p`, or -1 when `p` holds no line end of this file. */
  private lineEnd(bytes: Uint8Array, p: number): number {
    const c = bytes[p];
    if (c === LF) return this.crlf ? -1 : p + 1;
    if (c === CR && this.crlf && bytes[p + 1] === LF) return p + 2;
    return -1;
  }

  /** The parse plan of the header just accepted. */
  private readHeader(): void {
    const columns = this.checker.columns!;
    this.kinds = columnKinds(columns);
    this.hasSize = columns.size >= 0;
    this.hasTime = columns.time >= 0;
    const expected = [K_VCPU, K_OP, K_GPA, ...(this.hasSize ? [K_SIZE] : []), ...(this.hasTime ? [K_TIME] : [])];
    this.canonical = expected.length === this.kinds.length && expected.every((kind, i) => this.kinds![i] === kind);
  }

  /** Any row of a plain line, split into strings for the checker; `NOT_PLAIN` for a byte csv-parse would treat otherwise. */
  private stringRow(bytes: Uint8Array, p: number): number {
    let end = p;
    while (bytes[end] !== LF) end++;
    const contentEnd = this.crlf ? end - 1 : end;
    if (this.crlf && (contentEnd < p || bytes[contentEnd] !== CR)) return NOT_PLAIN;
    const record = this.record;
    let fields = 0;
    let start = p;
    for (let i = p; i < contentEnd; i++) {
      const c = bytes[i];
      if (c === COMMA) {
        record[fields++] = latin1(bytes, start, i);
        start = i + 1;
      } else if (CLASS[c] !== ORDINARY) return NOT_PLAIN;
    }
    record[fields++] = latin1(bytes, start, contentEnd);
    if (record.length !== fields) record.length = fields;
    const hadHeader = this.checker.columns !== undefined;
    this.checker.accept(record, this.line);
    if (!hadHeader) this.readHeader();
    return end + 1;
  }
}

/** End of the last number `decimal` or `address` read (one parser runs at a time per thread). */
let scanEnd = 0;

/** Decimal digits at `p` (1 to `maxDigits`), or -1; `scanEnd` is the first byte after them. */
function decimal(bytes: Uint8Array, p: number, maxDigits: number): number {
  let value = 0;
  const start = p;
  for (let c = bytes[p]; c >= 0x30 && c <= 0x39; c = bytes[++p]) value = value * 10 + (c - 0x30);
  scanEnd = p;
  const digits = p - start;
  return digits === 0 || digits > maxDigits ? -1 : value;
}

/** A gpa or size at `p`: `0x` hex (up to 13 digits after leading zeros) or decimal (up to 15), or -1. */
function address(bytes: Uint8Array, p: number): number {
  if (bytes[p] !== 0x30 || (bytes[p + 1] | 0x20) !== 0x78) return decimal(bytes, p, MAX_DEC_DIGITS);
  p += 2;
  const start = p;
  while (bytes[p] === 0x30) p++;
  const significant = p;
  let value = 0;
  for (let d = HEX[bytes[p]]; d >= 0; d = HEX[bytes[++p]]) value = value * 16 + d;
  scanEnd = p;
  return p === start || p - significant > MAX_HEX_DIGITS ? -1 : value;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** What the byte parser reads in each header column. */
function columnKinds(columns: Columns): Uint8Array {
  const kinds = new Uint8Array(columns.count);
  kinds[columns.vcpu] = K_VCPU;
  kinds[columns.op] = K_OP;
  kinds[columns.gpa] = K_GPA;
  if (columns.size >= 0) kinds[columns.size] = K_SIZE;
  if (columns.time >= 0) kinds[columns.time] = K_TIME;
  return kinds;
}
