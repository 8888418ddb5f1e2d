/**
 * Reads trace format v1 (docs/trace-format.md), validating every cell and
 * failing at the first bad one with `file:line: column name: what was
 * expected`. Two ways, both over `CsvChunkReader`:
 *
 * - `openCsvTrace`: streamed. One checking pass now (every row validated,
 *   nothing kept but the trace's facts: event count, vCPU count, touched
 *   end, memslot rows; and, given a folder for it, a decoded `.mtr` copy of
 *   the events, csvDecodedCopy.ts), then the replay reads the copy, or the
 *   file again, chunk by chunk (`openCsvChunks`), memory flat. A file whose
 *   times go down in file order must be sorted by (time, file order)
 *   first: it is read whole instead.
 * - `readCsvTrace`: the whole trace in memory (shared arrays).
 *
 * Plain files (what `mmubench gen`, `convert` and most scripts write) take
 * the byte parser; any other file, and a plain-looking one found not plain
 * part way, is read from its start by csv-parse, which gives every message.
 * Rows handed out before are the ones csv-parse would have given, so an
 * `InputError` thrown for one of them is the message csv-parse's path gives
 * too. Bench: `npm run bench`, "CSV ingest" and "CSV streamed".
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError } from '../errors.js';
import { fileError } from './fileError.js';
import { CsvChunkReader, NotPlainCsv, type CsvParser } from './csvChunkReader.js';
import type { CsvSummary } from './csvRows.js';
import { allocateTraceEvents, TRACE_EVENT_BYTES, traceFields, type Trace, type TraceStream } from './traceEvents.js';
import type { EventChunkSource } from './eventChunks.js';
import { checkIntoCopy, type DecodedCopies } from './csvDecodedCopy.js';

/** Rows read before the file's size says whether it may fit in memory. */
const SAMPLE_EVENTS = 65536;

/** Short report name of a trace path: its file name without `.csv`. */
export function traceName(path: string): string {
  return basename(path).replace(/\.csv$/i, '');
}

/** Read and validate a whole CSV trace into memory. Throws `InputError` on bad input. */
export async function readCsvTrace(path: string): Promise<Trace> {
  return readWhole(path, ['bytes', 'csv-parse']);
}

/** `readCsvTrace` through csv-parse only: every CSV feature, every message (tests, bench). */
export async function readWithCsvParse(path: string): Promise<Trace> {
  return readWhole(path, ['csv-parse']);
}

/** Options of `openCsvTrace`. */
export interface OpenCsvOptions {
  /** Keep the events in memory when they take at most this many bytes (`TRACE_EVENT_BYTES` each). Default 0. */
  inMemoryBytes?: number;
  /** Write a decoded `.mtr` copy there, which the replay streams (csvDecodedCopy.ts). Default: none. */
  copies?: DecodedCopies;
  /** Told the bytes of the file read so far and its size, after each read of the checking pass. */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

/**
 * Check a CSV trace whole and return it streamed (`Trace.stream`): its
 * events are read again, chunk by chunk, at replay time, from the decoded
 * copy the checking pass wrote into `copies` when given (csvDecodedCopy.ts),
 * else from the CSV. Returned in memory instead (from the same pass): a
 * trace whose events fit in `inMemoryBytes`, and one whose rows must be
 * sorted by time. Throws `InputError`.
 */
export async function openCsvTrace(path: string, options: OpenCsvOptions = {}): Promise<Trace> {
  const { copies, onProgress } = options;
  const stat = fileStat(path);
  const keepEvents = Math.floor((options.inMemoryBytes ?? 0) / TRACE_EVENT_BYTES);
  let kept: CsvChunkReader | undefined;
  let copy: string | undefined;
  const { summary, parser } = await withParser(path, ['bytes', 'csv-parse'], async (reader) => {
    kept = undefined;
    if (onProgress !== undefined) reader.onRead = (bytesRead) => onProgress(bytesRead, stat.size);
    if (keepEvents > 0) {
      // Rows are kept while the file may fit: not when its first rows say it holds twice as many.
      // Fewer events than asked for means the file ended.
      const sample = Math.min(keepEvents + 1, SAMPLE_EVENTS);
      const events = reader.checker.events;
      reader.readUntil(sample);
      let fits = events.count < sample;
      const estimate = (stat.size * events.count) / Math.max(1, reader.bytesParsed);
      if (!fits && estimate <= 2 * keepEvents) {
        events.reserve(Math.min(keepEvents + 1, Math.ceil(estimate * 1.25))); // no doubling copies on the way
        reader.readUntil(keepEvents + 1);
        fits = events.count <= keepEvents;
      }
      if (fits) {
        kept = reader;
        return;
      }
      if (copies === undefined) events.release();
    }
    if (copies !== undefined) copy = await checkIntoCopy(reader, copies);
    else reader.checkAll();
  });
  if (kept !== undefined) return { ...traceFields(path, traceName(path), summary), events: kept.checker.events.finish(summary.timed) };
  if (summary.timed && !summary.timesAscending) return readWhole(path, [parser]); // (no copy: checkIntoCopy gives it up)
  const events = allocateTraceEvents(0);
  events.count = summary.count;
  const stream: TraceStream =
    copy !== undefined ? { format: 'mtr', path: copy, checked: true } : { format: 'csv', path, csvParser: parser, sizeBytes: stat.size, mtimeMs: stat.mtimeMs };
  return { ...traceFields(path, traceName(path), summary), events, stream };
}

/**
 * The chunks of a streamed CSV trace, read again with the parser its
 * checking pass used. A file changed since (size, modification time, or
 * rows the byte parser no longer takes) is refused with `InputError`.
 */
export function openCsvChunks(stream: TraceStream): EventChunkSource {
  const { path } = stream;
  const changed = (): InputError => changedError(path);
  const stat = fileStat(path);
  if (stat.size !== stream.sizeBytes || stat.mtimeMs !== stream.mtimeMs) throw changed();
  const reader = CsvChunkReader.openFile(path, stream.csvParser ?? 'csv-parse');
  return {
    next: () => {
      try {
        return reader.next();
      } catch (error) {
        if (error instanceof NotPlainCsv) throw changed();
        throw error;
      }
    },
    close: () => reader.close(),
  };
}

function changedError(path: string): InputError {
  return new InputError(`${path}: the file changed after it was checked; run again`);
}

function fileStat(path: string): { size: number; mtimeMs: number } {
  try {
    return statSync(path);
  } catch (error) {
    throw fileError(path, error);
  }
}

/** The whole file in memory: the first parser of `parsers` that takes it. */
async function readWhole(path: string, parsers: readonly CsvParser[]): Promise<Trace> {
  let reader: CsvChunkReader | undefined;
  const { summary } = await withParser(path, parsers, (r) => {
    r.readAll();
    reader = r;
  });
  return { ...traceFields(path, traceName(path), summary), events: reader!.checker.events.finish(summary.timed) };
}

/**
 * Run `read` over the file with each parser in turn until one takes it (the
 * byte parser throws `NotPlainCsv` for a file that needs csv-parse).
 */
async function withParser(
  path: string,
  parsers: readonly CsvParser[],
  read: (reader: CsvChunkReader) => void | Promise<void>,
): Promise<{ summary: CsvSummary; parser: CsvParser }> {
  for (const parser of parsers) {
    const reader = CsvChunkReader.openFile(path, parser);
    try {
      await read(reader);
      return { summary: reader.checker.summary(), parser };
    } catch (error) {
      if (!(error instanceof NotPlainCsv)) throw error;
      if (parser === parsers[parsers.length - 1]) throw changedError(path); // only a file checked as plain is read with `bytes` alone
    } finally {
      reader.close();
    }
  }
  throw new Error('unreachable: the last parser takes every file');
}
