/**
 * Fast path of the CSV trace reader for "plain" files: ASCII, `\n` line
 * ends, no quotes, no whitespace, `#` only at the start of a line (what
 * `mmubench gen`, `convert` and most scripts write). On such bytes
 * csv-parse, with the trace format's options (csvTraceReader.ts), yields
 * exactly the comma-split lines, skipping empty and `#` lines, with the
 * physical line number as `info.lines`; this reads them with native
 * `indexOf` over large latin1 strings instead of csv-parse's per-byte state
 * machine (about 4× faster; bench/ingest).
 *
 * The first block holding anything else (a quote, `\r`, a space or tab, a
 * form feed or vertical tab — csv-parse trims these —, a non-ASCII byte, a
 * `#` inside a line), or any I/O error, makes it return false before that
 * block's first line is handed out: the caller then reads the whole file
 * again with csv-parse, which gives every message. Records handed out
 * before are the ones csv-parse would have given, so an `InputError` thrown
 * by `onRecord` for one of them is the message csv-parse's path gives too.
 */
import { isAscii } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from '../errors.js';

/** Bytes per read. */
const BLOCK_BYTES = 1 << 20;
/** Characters that need csv-parse outside comment lines: `"`, space, tab, FF, VT, and `#` inside a line. */
const NOT_PLAIN = ['"', ' ', '\t', '\f', '\v', '#'];
const HASH = 0x23;
const BOM = [0xef, 0xbb, 0xbf];

/**
 * Hand every record of the plain CSV file `path` to `onRecord(fields,
 * line)`, in file order. True when the whole file was plain; false when the
 * caller must read it with csv-parse instead (records handed out so far must
 * then be discarded). `InputError`s from `onRecord` propagate.
 */
export async function readPlainCsv(path: string, onRecord: (record: string[], line: number) => void): Promise<boolean> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch {
    return false;
  }
  const buffer = Buffer.allocUnsafe(BLOCK_BYTES);
  const record: string[] = [];
  let line = 0;
  let carry = '';
  let first = true;
  /** One physical line, text[start, end) without its `\n`; `record` is reused (its length set only when it changes). */
  const take = (text: string, start: number, end: number): void => {
    line++;
    if (start === end || text.charCodeAt(start) === HASH) return; // empty or comment line
    let fields = 0;
    for (;;) {
      let comma = text.indexOf(',', start);
      if (comma < 0 || comma > end) comma = end;
      record[fields++] = text.slice(start, comma);
      if (comma === end) break;
      start = comma + 1;
    }
    if (record.length !== fields) record.length = fields;
    onRecord(record, line);
  };
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, BLOCK_BYTES, null);
      if (bytesRead === 0) break;
      let bytes = buffer.subarray(0, bytesRead);
      if (first) {
        first = false;
        if (bytes.length < BOM.length && bytes[0] === BOM[0]) return false;
        if (BOM.every((byte, i) => bytes[i] === byte)) bytes = bytes.subarray(BOM.length);
      }
      // 1. The whole block must be plain before any of its lines is handed out
      //    (comment lines may hold anything ASCII but `\r`: csv-parse skips them whole).
      if (!isAscii(bytes) || bytes.indexOf(0x0d) >= 0) return false;
      const text = carry + bytes.toString('latin1');
      if (!plain(text)) return false;
      // 2. Complete lines; the rest waits for the next block.
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
        take(text, start, end);
        start = end + 1;
      }
      carry = text.slice(start);
    }
    if (carry.length > 0) take(carry, 0, carry.length); // a last line without `\n`
    return true;
  } catch (error) {
    if (error instanceof InputError) throw error;
    return false; // I/O errors: csv-parse's path reports them
  } finally {
    await file.close();
  }
}

/**
 * True when every `NOT_PLAIN` character of `text` (which starts a line) is
 * inside a comment line, i.e. its line starts with `#` (a `#` that starts
 * its line is itself that case).
 */
function plain(text: string): boolean {
  for (const char of NOT_PLAIN) {
    for (let at = text.indexOf(char); at >= 0; at = text.indexOf(char, at + 1)) {
      const lineStart = text.lastIndexOf('\n', at) + 1;
      if (text.charCodeAt(lineStart) !== HASH) return false;
      const lineEnd = text.indexOf('\n', at);
      if (lineEnd < 0) break;
      at = lineEnd; // the rest of this comment line needs no check
    }
  }
  return true;
}
