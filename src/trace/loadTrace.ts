/**
 * Opens a trace given on the command line. The one place that maps a trace
 * argument to a reader: `FORMAT:path` (and `FORMAT,OPTION=VALUE,...:path`)
 * imports a foreign format in memory (src/trace/importers/, docs/importing.md);
 * every other argument is a CSV trace, format v1.
 */
import { InputError } from '../cli/errors.js';
import { readCsvTrace } from './csvTraceReader.js';
import type { Trace } from './traceEvents.js';
import { parseImportSpec } from './importers/importSpec.js';
import { importToTrace } from './importers/importTrace.js';
import { describeSkips } from './importers/skipCounter.js';

/** Options of `loadTrace`. */
export interface LoadTraceOptions {
  /** Receives one line per imported trace saying what it skipped (nothing is printed without it). */
  onNote?: (message: string) => void;
}

/** Load and validate the trace named by `spec`. Throws `InputError` on bad input. */
export async function loadTrace(spec: string, options: LoadTraceOptions = {}): Promise<Trace> {
  const imported = parseImportSpec(spec);
  if (imported === undefined) return readCsvTrace(spec);
  const trace = await importToTrace(imported.format, { name: imported.path, path: imported.path }, imported.options);
  const { rows, lines, skipped } = trace.summary;
  if (rows === 0) throw new InputError(`${imported.path}: no access rows in ${lines} lines (skipped ${describeSkips(skipped)})`);
  options.onNote?.(`${spec}: imported ${rows} rows from ${lines} lines; skipped ${describeSkips(skipped)}`);
  return trace;
}
