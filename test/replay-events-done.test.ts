/**
 * Progress counters: a replay stores its events done as it goes
 * (`ReplayOptions.eventsDone`, read by the main thread while a worker
 * replays), and `runMatrix` reports every event of the cells done.
 */
import { describe, expect, it } from 'vitest';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { replayCell } from '../src/replay/replayCell.js';
import { type MatrixProgress, runMatrix } from '../src/replay/runMatrix.js';
import { accessRows, traceFromText } from './helpers/traceFromText.js';

const LAYOUT = { memslots: [], defaultSlotAlignBytes: 1 << 30 };
// 5 accesses and an UNMAP (a host event): 6 events.
const CSV = `vcpu,op,gpa,size\n${accessRows('R', [0x1000, 0x2000, 0x3000])}\n0,UNMAP,0x1000,4096\n${accessRows('W', [0x4000, 0x5000])}\n`;

describe('events done', () => {
  it('a replay stores the events replayed so far after each step, all of them at the end', async () => {
    const trace = await traceFromText(CSV);
    const [scenario] = parseMatrix({ prefault: 'none' });
    const eventsDone = new Float64Array(new SharedArrayBuffer(8));
    const seen: number[] = [];
    // afterEvent makes one step per event: the counter holds that event's number (index + 1) then.
    replayCell(trace, scenario, LAYOUT, { afterEvent: () => seen.push(eventsDone[0]) }, { eventsDone });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(eventsDone[0]).toBe(6);
  });

  it('runMatrix reports the events of the cells done, up to every event of the matrix', async () => {
    const trace = await traceFromText(CSV);
    const tasks = parseMatrix({ prefault: 'none,all' }).map((scenario) => ({ trace, scenario, layout: LAYOUT }));
    const reports: MatrixProgress[] = [];
    await runMatrix(tasks, { threads: 0, onProgress: (p) => reports.push({ ...p }) });
    expect(reports.map((p) => [p.done, p.events, p.totalEvents])).toEqual([
      [1, 6, 12],
      [2, 12, 12],
    ]);
  });
});
