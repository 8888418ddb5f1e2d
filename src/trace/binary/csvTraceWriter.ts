/**
 * Writes a `Trace` as trace format v1 CSV (docs/trace-format.md), the way
 * back from a binary trace. Output, always the same for the same trace:
 *
 *   vcpu,op,gpa,size[,x_slot]      header on line 1; x_slot only when a row names a memslot
 *   0,R,0x1000,8                   vcpu decimal, op name, gpa 0x-hex, size decimal
 *
 * Rows are in replay order, so a time-ordered trace needs no time column.
 * Line numbers are kept when they can be: if the events' source lines
 * ascend from line 2 on, empty lines fill the gaps (where the original had
 * comments), so reading the CSV back gives the same `line` of every event —
 * unless that would take more empty lines than events + 1000. Otherwise rows
 * follow each other from line 2. Written to `PATH.tmp-<pid>`, then renamed.
 *
 * Rows are plain numbers and op names that never need quoting, so they are
 * formatted directly (as `mmubench gen` does) rather than through a CSV
 * library.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { InputError } from '../../errors.js';
import { OP_NAMES, needsSlot, type Op } from '../ops.js';
import type { Trace } from '../traceEvents.js';
import { forEachEventChunk, openEventChunks } from '../eventChunks.js';

/** Rows formatted per write. */
const BATCH_ROWS = 65536;
/** Extra empty lines allowed beyond one per event when keeping line numbers. */
const SPARE_EMPTY_LINES = 1000;

/** What the first pass over the events finds: whether lines can be kept, and whether a slot column is needed. */
interface CsvPlan {
  keepLines: boolean;
  slotColumn: boolean;
}

/**
 * True when every event can keep its line number: lines strictly ascend,
 * start after the header (line 1), and the gaps are bounded.
 */
export function keepsLineNumbers(trace: Trace): boolean {
  return planCsv(trace).keepLines;
}

function planCsv(trace: Trace): CsvPlan {
  let ascending = true;
  let slotColumn = false;
  let previous = 1;
  let count = 0;
  forEachEventChunk(trace, ({ count: n, line, op }) => {
    for (let i = 0; i < n && ascending; i++) {
      if (line[i] <= previous) ascending = false;
      previous = line[i];
    }
    for (let i = 0; i < n && !slotColumn; i++) slotColumn = needsSlot(op[i] as Op);
    count += n;
  });
  const emptyLines = previous - 1 - count;
  return { keepLines: ascending && emptyLines <= count + SPARE_EMPTY_LINES, slotColumn };
}

/** Write `trace` (in memory or streamed) to `path` as CSV (atomically). Throws `InputError` when the file cannot be written. */
export async function writeCsvTrace(trace: Trace, path: string): Promise<void> {
  const { keepLines, slotColumn } = planCsv(trace);
  const temp = `${path}.tmp-${process.pid}`;
  const out = createWriteStream(temp);
  const source = openEventChunks(trace);
  try {
    out.write(slotColumn ? 'vcpu,op,gpa,size,x_slot\n' : 'vcpu,op,gpa,size\n');
    let lastLine = 1;
    for (let chunk = source.next(); chunk !== undefined; chunk = source.next()) {
      const { count, op, vcpu, gpa, sizeBytes, slot, line } = chunk;
      for (let start = 0; start < count; start += BATCH_ROWS) {
        const end = Math.min(count, start + BATCH_ROWS);
        let text = '';
        for (let i = start; i < end; i++) {
          if (keepLines) {
            text += '\n'.repeat(line[i] - lastLine - 1);
            lastLine = line[i];
          }
          text += `${vcpu[i]},${OP_NAMES[op[i]]},0x${gpa[i].toString(16)},${sizeBytes[i]}`;
          if (slotColumn) text += needsSlot(op[i] as Op) ? `,${slot[i]}\n` : ',\n';
          else text += '\n';
        }
        if (!out.write(text)) await once(out, 'drain');
      }
    }
    out.end();
    await once(out, 'finish');
    await rename(temp, path);
  } catch (error) {
    out.destroy();
    await rm(temp, { force: true });
    if (error instanceof InputError) throw error;
    throw new InputError(`${path}: cannot write: ${(error as Error).message}`);
  } finally {
    source.close();
  }
}
