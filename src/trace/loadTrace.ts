/**
 * Opens a trace given on the command line. The one place that maps a trace
 * argument to a reader: a path ending in `.mtr` or starting with its magic
 * bytes is a binary trace, streamed at replay time (src/trace/binary/);
 * other plain paths are CSV trace format v1; `FORMAT:path` importers are
 * added here.
 */
import { readCsvTrace } from './csvTraceReader.js';
import { isBinaryTracePath, openBinaryTrace } from './binary/binaryTraceReader.js';
import type { Trace } from './traceEvents.js';

/** Load and validate the trace named by `spec`. Throws `InputError` on bad input. */
export async function loadTrace(spec: string): Promise<Trace> {
  return isBinaryTracePath(spec) ? openBinaryTrace(spec) : readCsvTrace(spec);
}
