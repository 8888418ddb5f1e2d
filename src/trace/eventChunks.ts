/**
 * The events of a trace as a sequence of chunks (parallel typed arrays, see
 * `TraceEvents`), whether the trace is held in memory or streamed from its
 * file (`.mtr` or CSV). Replay consumes traces only through this, chunk by chunk, so
 * its memory stays flat however long a streamed trace is. Chunks arrive in
 * replay order (for CSV traces with a `time` column, the (time, file order)
 * sort done by the reader; binary traces store events already in that order).
 */
import { MtrChunkReader } from './binary/mtrChunkReader.js';
import { openCsvChunks } from './csvTraceReader.js';
import { InputError } from '../errors.js';
import { allocateTraceEvents, type Trace, type TraceEvents } from './traceEvents.js';

/** A forward-only sequence of event chunks. */
export interface EventChunkSource {
  /** The next chunk (valid until the next call), or undefined at the end. Throws `InputError` on bad input. */
  next(): TraceEvents | undefined;
  /** Release the file, if any (idempotent). */
  close(): void;
}

/** Chunks of `trace`'s events from the first: its arrays in one chunk, or its file chunk by chunk. */
export function openEventChunks(trace: Trace): EventChunkSource {
  const stream = trace.stream;
  if (stream !== undefined) return stream.format === 'csv' ? openCsvChunks(stream) : MtrChunkReader.openFile(stream.path, stream.checked === true);
  let given = false;
  return {
    next: () => {
      if (given || trace.events.count === 0) return undefined;
      given = true;
      return trace.events;
    },
    close: () => undefined,
  };
}

/** Call `visit` on every chunk of `trace` in order, closing the source even when `visit` throws. */
export function forEachEventChunk(trace: Trace, visit: (chunk: TraceEvents) => void): void {
  const source = openEventChunks(trace);
  try {
    for (let chunk = source.next(); chunk !== undefined; chunk = source.next()) visit(chunk);
  } finally {
    source.close();
  }
}

/**
 * `trace` with every event in memory (shared arrays, as the CSV reader gives
 * them): `trace` itself when it is not streamed, else a copy of its file's
 * events (27 bytes per event). For code that needs random access to the
 * events (the per-vCPU mode's per-vCPU index lists) rather than one pass.
 */
export function materializeTrace(trace: Trace): Trace {
  if (trace.stream === undefined) return trace;
  const events = allocateTraceEvents(trace.events.count);
  let total = 0;
  forEachEventChunk(trace, (chunk) => {
    if (total + chunk.count > events.count) throw new InputError(`${trace.path}: the file holds more events than when it was opened`);
    for (const key of COLUMN_KEYS) events[key].set(chunk[key].subarray(0, chunk.count) as never, total);
    total += chunk.count;
  });
  if (total !== events.count) throw new InputError(`${trace.path}: the file holds fewer events than when it was opened`);
  const { stream: _stream, ...rest } = trace;
  return { ...rest, events };
}

const COLUMN_KEYS = ['op', 'vcpu', 'gpa', 'sizeBytes', 'slot', 'line'] as const;
