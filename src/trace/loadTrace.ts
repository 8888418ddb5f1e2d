/**
 * Opens a trace given on the command line. The one place that maps a trace
 * argument to a reader: `FORMAT:path` (and `FORMAT,OPTION=VALUE,...:path`)
 * imports a foreign format in memory (src/trace/importers/, docs/importing.md);
 * a path ending in `.mtr` or starting with its magic bytes is a binary trace
 * (src/trace/binary/), loaded whole or, with `stream`, read chunk by chunk at
 * replay time; every other argument is a CSV trace, format v1.
 */
import { InputError } from '../errors.js';
import { readCsvTrace } from './csvTraceReader.js';
import { isBinaryTracePath, openBinaryTrace, readBinaryTrace } from './binary/binaryTraceReader.js';
import type { Trace } from './traceEvents.js';
import { parseImportSpec } from './importers/importSpec.js';
import { importToTrace } from './importers/importTrace.js';
import { describeSkips } from './importers/skipCounter.js';

/** Options of `loadTrace`. */
export interface LoadTraceOptions {
  /** Receives one line per imported trace saying what it skipped (nothing is printed without it). */
  onNote?: (message: string) => void;
  /**
   * Binary traces only: check the file now but leave its events on disk
   * (`Trace.stream`), read chunk by chunk by `openEventChunks`; memory stays
   * flat. Default false: the events are loaded into `Trace.events`.
   */
  stream?: boolean;
  /**
   * With `stream`: check every chunk now (default true), so bad input fails
   * before anything else runs. False leaves the checks to the reads at
   * replay time, which make them all the same (`MtrChunkReader`), so the
   * file is read once, not twice; only its header is checked now.
   */
  checkNow?: boolean;
}

/** Load and validate the trace named by `spec`. Throws `InputError` on bad input. */
export async function loadTrace(spec: string, options: LoadTraceOptions = {}): Promise<Trace> {
  const imported = parseImportSpec(spec);
  if (imported === undefined) {
    if (!isBinaryTracePath(spec)) return readCsvTrace(spec);
    return options.stream === true ? openBinaryTrace(spec, { validate: options.checkNow ?? true }) : readBinaryTrace(spec);
  }
  const trace = await importToTrace(imported.format, { name: imported.path, path: imported.path }, imported.options);
  const { rows, lines, skipped } = trace.summary;
  if (rows === 0) throw new InputError(`${imported.path}: no access rows in ${lines} lines (skipped ${describeSkips(skipped)})`);
  options.onNote?.(`${spec}: imported ${rows} rows from ${lines} lines; skipped ${describeSkips(skipped)}`);
  return trace;
}
