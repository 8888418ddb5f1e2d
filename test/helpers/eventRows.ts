/** Trace events from short literal rows, for the `.mtr` reader and writer tests. */
import type { Op } from '../../src/trace/ops.js';
import { allocateTraceEvents, type TraceEvents } from '../../src/trace/traceEvents.js';

/** An event: op, gpa, size, slot (-1 for none); vCPU 0. */
export type EventRow = [Op, number, number, number];

/** The events of `rows`, in order, each on line index + 2 (after a CSV header). */
export function eventsFromRows(rows: readonly EventRow[]): TraceEvents {
  const events = allocateTraceEvents(rows.length);
  rows.forEach(([op, gpa, size, slot], i) => {
    events.op[i] = op;
    events.gpa[i] = gpa;
    events.sizeBytes[i] = size;
    events.slot[i] = slot;
    events.line[i] = i + 2;
  });
  return events;
}
