/**
 * Opens a trace given on the command line. The one place that maps a trace
 * argument to a reader: plain paths are CSV trace format v1; later formats
 * (binary traces, `FORMAT:path` importers) are added here.
 */
import { readCsvTrace } from './csvTraceReader.js';
import type { Trace } from './traceEvents.js';

/** Load and validate the trace named by `spec`. Throws `InputError` on bad input. */
export async function loadTrace(spec: string): Promise<Trace> {
  return readCsvTrace(spec);
}
