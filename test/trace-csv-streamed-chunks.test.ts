/**
 * A CSV trace read chunk by chunk (CsvChunkReader, the byte parser) gives
 * the events and errors of a whole read through csv-parse, wherever a read
 * of the file ends: inside a row, between the `\r` and `\n` of a CRLF line
 * end, inside a comment; and a bad row after such a boundary is reported on
 * its own physical line.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { CsvChunkReader } from '../src/trace/csvChunkReader.js';
import { openCsvTrace, readWithCsvParse } from '../src/trace/csvTraceReader.js';
import { forEachEventChunk } from '../src/trace/eventChunks.js';
import type { TraceEvents } from '../src/trace/traceEvents.js';
import { textFiles } from './helpers/textFiles.js';

const { file } = textFiles('chunks');

const KEYS = ['op', 'vcpu', 'gpa', 'sizeBytes', 'slot', 'line'] as const;

/** Events as plain rows [op, vcpu, gpa, size, slot, line]. */
function rows(events: TraceEvents, into: number[][] = []): number[][] {
  for (let i = 0; i < events.count; i++) into.push(KEYS.map((key) => events[key][i]));
  return into;
}

/** Every chunk of `path` with reads of `blockBytes` and chunks of `chunkEvents`, or the InputError message. */
function chunked(path: string, blockBytes: number, chunkEvents: number): number[][] | string {
  const reader = CsvChunkReader.openFile(path, 'bytes', blockBytes);
  try {
    const out: number[][] = [];
    for (let chunk = reader.next(chunkEvents); chunk !== undefined; chunk = reader.next(chunkEvents)) rows(chunk, out);
    return out;
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  } finally {
    reader.close();
  }
}

async function whole(path: string): Promise<number[][] | string> {
  try {
    return rows((await readWithCsvParse(path)).events);
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
}

// 6 physical lines: a comment, the header, 3 rows (hex, decimal and 0X sizes), an empty line, a row without a line end.
const TEXT = '# gen\nvcpu,op,gpa,size\n0,R,0x1000,8\n1,W,8192,0X10\n\n0,X,0x00000abc,1\n0,R,0x2000,8';

describe('CSV read in chunks', () => {
  it('gives the events of a whole csv-parse read for every read size and chunk size, \\n and \\r\\n', async () => {
    for (const text of [TEXT, TEXT.replaceAll('\n', '\r\n')]) {
      const path = file(text);
      const expected = await whole(path);
      expect((expected as number[][]).map((row) => row[5])).toEqual([3, 4, 6, 7]); // physical lines of the 4 rows
      // Every read size from 1 byte (a boundary at every byte, CR|LF included) to the whole file.
      for (let blockBytes = 1; blockBytes <= text.length + 1; blockBytes++) {
        for (const chunkEvents of [1, 3, 65536]) expect(chunked(path, blockBytes, chunkEvents), `${blockBytes}/${chunkEvents}`).toEqual(expected);
      }
    }
  });

  it('reports a bad row after a read boundary on its own line, as csv-parse does', async () => {
    // Line 5 holds the bad gpa; reads of 7 bytes end inside lines 2 to 5.
    const text = '# gen\nvcpu,op,gpa\n0,R,0x1000\n0,W,0x2000\n0,R,0xZZ\n0,R,0x3000\n';
    for (const path of [file(text), file(text.replaceAll('\n', '\r\n'))]) {
      expect(await whole(path)).toBe(`${path}:5: column gpa: "0xZZ" is not a hex or decimal address`);
      for (const blockBytes of [1, 2, 7, 13, 4096]) expect(chunked(path, blockBytes, 1)).toBe(`${path}:5: column gpa: "0xZZ" is not a hex or decimal address`);
    }
  });

  it('streams a checked trace: openCsvTrace keeps no event, the replay chunks hold them all', async () => {
    const path = file(TEXT);
    const trace = await openCsvTrace(path);
    expect(trace.stream?.format).toBe('csv');
    expect(trace.events.count).toBe(4);
    expect(trace.events.op.length).toBe(1); // the empty shared columns of a streamed trace
    const out: number[][] = [];
    forEachEventChunk(trace, (chunk) => rows(chunk, out));
    expect(out).toEqual(await whole(path));
  });

  it('reads a file whose times go down in file order whole, sorted by (time, file order)', async () => {
    // vCPU 1's row at time 1 comes after vCPU 0's at time 5 in the file: the sort puts it first.
    const trace = await openCsvTrace(file('vcpu,op,gpa,size,time\n0,R,0x1000,8,5\n1,W,0x2000,8,1\n'));
    expect(trace.stream).toBeUndefined();
    expect(Array.from(trace.events.line)).toEqual([3, 2]);
  });
});
