/**
 * One matrix cell as a task: the same function runs inline or in a Piscina
 * worker. Errors come back as data (as piscina's own worker.ts reports them),
 * never thrown across the thread boundary.
 */
import { InputError } from '../errors.js';
import type { Trace } from '../trace/traceEvents.js';
import type { CellOutcome } from './results.js';
import { replayCell } from './replayCell.js';
import type { Layout } from './openCell.js';
import type { Scenario } from './scenario.js';

export interface CellTask {
  trace: Trace;
  scenario: Scenario;
  layout: Layout;
  /** Run option `--no-tlb-reach` off: feed each vCPU's reach curve (`CellResult.tlbReach`). Default off here; the CLI's default is on. */
  tlbReach?: boolean;
  /** With `tlbReach`: the curves on a thread of their own (set by `runMatrix` when a core is free for it). */
  tlbReachThread?: boolean;
  /** Where the replay keeps its count of events done (`ReplayOptions.eventsDone`; set by `runMatrix` for its progress). */
  eventsDone?: Float64Array;
}

/** Replay a cell; any failure becomes `{ ok: false }` with its kind and message. */
export function runCellTask(task: CellTask): CellOutcome {
  try {
    const options = { tlbReach: task.tlbReach === true, tlbReachThread: task.tlbReachThread === true, eventsDone: task.eventsDone };
    return { ok: true, result: replayCell(task.trace, task.scenario, task.layout, {}, options) };
  } catch (error) {
    const kind = error instanceof InputError ? 'input' : 'crash';
    const message = error instanceof Error ? (kind === 'crash' ? (error.stack ?? error.message) : error.message) : String(error);
    return { ok: false, trace: task.trace.name, scenario: task.scenario, error: { kind, message } };
  }
}
