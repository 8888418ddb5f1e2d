/**
 * `openCsvTrace` with an in-memory budget keeps a trace whose events fit in
 * it (no stream: its events from the checking pass), and streams one that
 * does not, every event still counted, whether the first rows already say
 * it is too long or only the whole read does.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCsvTrace } from '../src/trace/csvTraceReader.js';
import { TRACE_EVENT_BYTES } from '../src/trace/traceEvents.js';

const ROWS = 200_000;
const dir = mkdtempSync(join(tmpdir(), 'mmubench-budget-'));
const path = join(dir, 'long.csv');
// 200000 rows of 15 or 16 bytes: more than one 65536-row sample.
writeFileSync(path, `vcpu,op,gpa,size\n${Array.from({ length: ROWS }, (_, i) => `0,R,0x${(0x100000 + i * 8).toString(16)},8`).join('\n')}\n`);

describe('CSV in-memory budget', () => {
  it('keeps the events of a trace that fits', async () => {
    const trace = await openCsvTrace(path, { inMemoryBytes: ROWS * TRACE_EVENT_BYTES });
    expect(trace.stream).toBeUndefined();
    expect(trace.events.count).toBe(ROWS);
    expect(trace.events.gpa[ROWS - 1]).toBe(0x100000 + (ROWS - 1) * 8);
  });

  it('streams a trace one event too long, found at the end of the read', async () => {
    // 199999 events fit: the first 65536 rows estimate 200000, within twice the budget, so rows are kept until one too many.
    const trace = await openCsvTrace(path, { inMemoryBytes: (ROWS - 1) * TRACE_EVENT_BYTES });
    expect(trace.stream?.format).toBe('csv');
    expect(trace.events.count).toBe(ROWS);
  });

  it('streams a trace whose first rows say it is over twice the budget', async () => {
    // 66000 events fit: the 65536-row sample estimates 200000 > 2 x 66000, so keeping stops there.
    const trace = await openCsvTrace(path, { inMemoryBytes: 66_000 * TRACE_EVENT_BYTES });
    expect(trace.stream?.format).toBe('csv');
    expect(trace.events.count).toBe(ROWS);
  });
});
