/**
 * Opens a trace given on the command line. The one place that maps a trace
 * argument to a reader: `FORMAT:path` (and `FORMAT,OPTION=VALUE,...:path`)
 * imports a foreign format in memory (src/trace/importers/, docs/importing.md);
 * a path ending in `.mtr` or starting with its magic bytes is a binary trace
 * (src/trace/binary/); every other argument is a CSV trace, format v1
 * (csvTraceReader.ts). Both are loaded whole or, with `stream`, checked now
 * and read chunk by chunk at replay time.
 */
import { InputError } from '../errors.js';
import { openCsvTrace, readCsvTrace } from './csvTraceReader.js';
import type { DecodedCopies } from './csvDecodedCopy.js';
import { isBinaryTracePath, openBinaryTrace, readBinaryTrace, readBinaryTraceHeader } from './binary/binaryTraceReader.js';
import { TRACE_EVENT_BYTES, type Trace } from './traceEvents.js';
import { parseImportSpec } from './importers/importSpec.js';
import { describeSkips } from './importers/skipCounter.js';

/** Options of `loadTrace`. */
export interface LoadTraceOptions {
  /** Receives one line per imported trace saying what it skipped (nothing is printed without it). */
  onNote?: (message: string) => void;
  /**
   * Binary and CSV traces: check the file now but leave its events on disk
   * (`Trace.stream`), read chunk by chunk by `openEventChunks`; memory stays
   * flat (a CSV whose times go down in file order is still loaded whole: it
   * must be sorted). Default false: the events are loaded into `Trace.events`.
   */
  stream?: boolean;
  /**
   * A streamed binary trace: check every chunk now (default true), so bad input fails
   * before anything else runs. False leaves the checks to the reads at
   * replay time, which make them all the same (`MtrChunkReader`), so the
   * file is read once, not twice; only its header is checked now.
   */
  checkNow?: boolean;
  /**
   * With `stream`: a trace whose events take at most this many bytes
   * (`TRACE_EVENT_BYTES` each) is loaded into memory instead, from the same
   * checking pass: decoded once, its shared arrays read by every replay
   * worker without a copy. Default 0: every trace streams.
   */
  inMemoryBytes?: number;
  /**
   * With `stream`: a CSV trace that streams is checked into a decoded `.mtr`
   * copy in this folder (csvDecodedCopy.ts), which the replay streams: one
   * CSV parse, not one more per cell. Default: none, the replay reads the CSV.
   */
  decodedCopies?: DecodedCopies;
  /** With `stream`: told the bytes of a CSV trace checked so far and its size (a progress display). */
  onCheckProgress?: (doneBytes: number, totalBytes: number) => void;
}

/** True when the `.mtr` header announces an event count that fits in `inMemoryBytes`. */
function fitsInMemory(path: string, inMemoryBytes: number): boolean {
  if (inMemoryBytes <= 0) return false;
  const { eventCount } = readBinaryTraceHeader(path);
  return eventCount >= 0 && eventCount * TRACE_EVENT_BYTES <= inMemoryBytes;
}

/** Load and validate the trace named by `spec`. Throws `InputError` on bad input. */
export async function loadTrace(spec: string, options: LoadTraceOptions = {}): Promise<Trace> {
  const imported = parseImportSpec(spec);
  if (imported === undefined) {
    const inMemoryBytes = options.inMemoryBytes ?? 0;
    if (!isBinaryTracePath(spec))
      return options.stream === true
        ? openCsvTrace(spec, { inMemoryBytes, copies: options.decodedCopies, onProgress: options.onCheckProgress })
        : readCsvTrace(spec);
    if (options.stream !== true || fitsInMemory(spec, inMemoryBytes)) return readBinaryTrace(spec);
    return openBinaryTrace(spec, { validate: options.checkNow ?? true });
  }
  // The importers load only for a FORMAT:path argument (start-up of every other run: docs/benchmarks.md).
  const { importToTrace } = await import('./importers/importTrace.js');
  const trace = await importToTrace(imported.format, { name: imported.path, path: imported.path }, imported.options);
  const { rows, lines, skipped } = trace.summary;
  if (rows === 0) throw new InputError(`${imported.path}: no access rows in ${lines} lines (skipped ${describeSkips(skipped)})`);
  options.onNote?.(`${spec}: imported ${rows} rows from ${lines} lines; skipped ${describeSkips(skipped)}`);
  return trace;
}
