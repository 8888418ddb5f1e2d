/**
 * Opens binary traces (`.mtr`, layout in mtrFormat.ts) as `Trace`s: streamed
 * (`openBinaryTrace`: header in memory, events read chunk by chunk at replay
 * time) or loaded whole (`readBinaryTrace`, `decodeBinaryTrace`). Every
 * check and error message is MtrChunkReader's (`FILE: chunk K: ...`).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError } from '../../errors.js';
import { allocateTraceEvents, traceFields, type Trace, type TraceEvents } from '../traceEvents.js';
import { MtrChunkReader } from './mtrChunkReader.js';
import { MTR_EXTENSION, MTR_MAGIC, type MtrHeader } from './mtrFormat.js';

const KEYS = ['op', 'vcpu', 'gpa', 'sizeBytes', 'slot', 'line'] as const;

/** Short report name of a binary trace path: its file name without `.mtr`. */
export function binaryTraceName(path: string): string {
  return basename(path).replace(/\.mtr$/i, '');
}

/**
 * True when `path` should be read as a binary trace: it ends in `.mtr`, or
 * its first bytes are the `.mtr` magic. False when it cannot be opened (the
 * CSV reader then reports why).
 */
export function isBinaryTracePath(path: string): boolean {
  if (path.toLowerCase().endsWith(MTR_EXTENSION)) return true;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const start = new Uint8Array(MTR_MAGIC.length);
    const bytesRead = readSync(fd, start, 0, start.length, 0);
    return bytesRead === start.length && MTR_MAGIC.every((byte, i) => start[i] === byte);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Options of `openBinaryTrace`. */
export interface OpenBinaryTraceOptions {
  /**
   * Read the whole file once now, checking every chunk (default true), so bad
   * input fails before any replay; memory stays one chunk. Without it, only
   * the header is checked (and chunk headers when it lacks the event count).
   */
  validate?: boolean;
}

/**
 * A streamed trace: the header is read now, the events chunk by chunk at
 * replay time (`Trace.stream`). Throws `InputError` on bad input.
 */
export function openBinaryTrace(path: string, options: OpenBinaryTraceOptions = {}): Trace {
  const reader = MtrChunkReader.openFile(path);
  let count: number;
  try {
    if (options.validate ?? true) {
      while (reader.next() !== undefined);
      count = reader.total;
    } else {
      count = reader.header.eventCount >= 0 ? reader.header.eventCount : reader.countEvents();
    }
  } finally {
    reader.close();
  }
  const events = allocateTraceEvents(0);
  events.count = count;
  return { ...traceFields(path, binaryTraceName(path), reader.header), events, stream: { format: 'mtr', path } };
}

/** Read and check a whole binary trace into memory. Throws `InputError` on bad input. */
export function readBinaryTrace(path: string): Trace {
  return readAll(MtrChunkReader.openFile(path));
}

/** Only the header of a binary trace (vCPU count, event count, source, ...). */
export function readBinaryTraceHeader(path: string): MtrHeader {
  const reader = MtrChunkReader.openFile(path);
  reader.close();
  return reader.header;
}

/** Decode an `.mtr` image held in memory; `path` names it in errors and in the trace. */
export function decodeBinaryTrace(image: Uint8Array, path: string): Trace {
  return readAll(MtrChunkReader.fromImage(image, path));
}

/**
 * Every chunk of `reader` copied into one set of columns: allocated once
 * when the header gives the event count, else grown by doubling and trimmed.
 */
function readAll(reader: MtrChunkReader): Trace {
  const { path, header } = reader;
  try {
    let capacity = header.eventCount >= 0 ? header.eventCount : header.chunkRecords;
    let events = allocate(path, capacity);
    let total = 0;
    for (let chunk = reader.next(); chunk !== undefined; chunk = reader.next()) {
      if (total + chunk.count > capacity) {
        capacity = Math.max(capacity * 2, total + chunk.count);
        events = grow(path, events, total, capacity);
      }
      for (const key of KEYS) events[key].set(chunk[key] as never, total);
      total += chunk.count;
    }
    if (capacity !== total) events = grow(path, events, total, total);
    events.count = total;
    return { ...traceFields(path, binaryTraceName(path), header), events };
  } finally {
    reader.close();
  }
}

function allocate(path: string, count: number): TraceEvents {
  try {
    return allocateTraceEvents(count);
  } catch (error) {
    throw new InputError(`${path}: cannot allocate memory for ${count} events: ${(error as Error).message}`);
  }
}

/** New columns of `capacity` events holding the first `used` events of `events`. */
function grow(path: string, events: TraceEvents, used: number, capacity: number): TraceEvents {
  const next = allocate(path, capacity);
  for (const key of KEYS) next[key].set(events[key].subarray(0, used) as never);
  return next;
}
