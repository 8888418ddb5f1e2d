/**
 * A streamed CSV trace's decoded copy: its checking pass writes the events it
 * checks to an `.mtr` file in a folder the caller owns (`run` makes a
 * temporary one and removes it at the end), and every cell streams that
 * copy instead of parsing the CSV again. The CSV is parsed once per run, not
 * once for the check and once more per cell (`.mtr` chunks decode several
 * times faster than CSV parses: docs/trace-format.md, "Reading and
 * streaming").
 *
 * The copy is an optimisation, never a new way to fail: one that cannot be
 * written (a full or read-only disk) is given up with a note, the rest of
 * the file is checked all the same, and the cells read the CSV as before.
 * Errors of the CSV itself propagate (the copy is removed first).
 */
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BinaryTraceWriter } from './binary/binaryTraceWriter.js';
import type { CsvChunkReader } from './csvChunkReader.js';
import type { TraceEvents } from './traceEvents.js';

/** Where decoded copies go, and who hears that one was given up. */
export interface DecodedCopies {
  /** A folder (made with the first copy) the caller removes when the run is over. */
  dir: string;
  onNote?: (message: string) => void;
}

/** Copies made by this process so far: each gets a file name of its own. */
let copiesMade = 0;
/** Held events above this many take their memory back before the chunks (which reuse the builder's arrays). */
const CHUNK_RELEASE_EVENTS = 1 << 16;
/**
 * Check every remaining row of `reader` (as `checkAll` does), writing the
 * events (those `reader.checker.events` holds already first) to a new
 * `.mtr` in `copies.dir`. Returns the copy's path, or undefined when it was
 * given up (with a note). Throws the CSV's `InputError` (or `NotPlainCsv`)
 * after removing the copy.
 */
export async function checkIntoCopy(reader: CsvChunkReader, copies: DecodedCopies): Promise<string | undefined> {
  const path = join(copies.dir, `${copiesMade++}-${basename(reader.path)}.mtr`);
  const giveUp = (error: unknown): undefined => {
    copies.onNote?.(`${reader.path}: no decoded copy (${(error as Error).message}); each cell parses the CSV again`);
    return undefined;
  };
  let writer: BinaryTraceWriter;
  try {
    await mkdir(copies.dir, { recursive: true });
    writer = await BinaryTraceWriter.create(path, { source: `decoded from ${reader.path}`, checked: true });
  } catch (error) {
    reader.checkAll();
    return giveUp(error);
  }
  // 1. The events read before (a trace that might have fitted in memory), then the rest chunk by chunk.
  const held = reader.checker.events;
  let chunk: TraceEvents | undefined = held.count > 0 ? held : reader.next();
  try {
    for (; chunk !== undefined; chunk = reader.next()) {
      if (!reader.checker.timesAscending) {
        // Its rows must be sorted by time: it is read whole after the check, and a copy in file order is of no use.
        await writer.abort();
        reader.checkAll();
        return undefined;
      }
      try {
        await writer.append(chunk);
      } catch (error) {
        // The writer removed its file; the rest of the CSV is checked without a copy.
        reader.checkAll();
        return giveUp(error);
      }
      if (chunk === held && held.count > CHUNK_RELEASE_EVENTS) held.release();
    }
  } catch (error) {
    await writer.abort();
    throw error;
  }
  // 2. The trace's facts into the header, the file renamed into place.
  const summary = reader.checker.summary();
  try {
    await writer.finish(summary);
  } catch (error) {
    return giveUp(error);
  }
  return path;
}
