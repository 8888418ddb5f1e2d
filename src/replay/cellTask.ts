/**
 * One matrix cell as a task: the same function runs inline or in a Piscina
 * worker. Errors come back as data (as piscina's own worker.ts reports them),
 * never thrown across the thread boundary.
 */
import { InputError } from '../errors.js';
import type { Trace } from '../trace/traceEvents.js';
import type { CellFailureKind, CellOutcome } from './results.js';
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
    return outcomeOfError(task, error);
  }
}

/** The outcome of a cell that failed with `kind` and `message`. */
export function cellFailure(task: CellTask, kind: CellFailureKind, message: string): CellOutcome {
  return { ok: false, trace: task.trace.name, scenario: task.scenario, error: { kind, message } };
}

/** A cell's replay (or setup) threw `error`: an `InputError` is the input's fault (its message), anything else a crash (its stack). */
export function outcomeOfError(task: CellTask, error: unknown): CellOutcome {
  if (error instanceof InputError) return cellFailure(task, 'input', error.message);
  return cellFailure(task, 'crash', error instanceof Error ? (error.stack ?? error.message) : String(error));
}

/** How a cell's pool task was stopped from outside: its time limit (`timeout`, after `timeoutMs`), the run's `signal` (Ctrl-C). */
export interface PoolStops {
  timeout: AbortSignal | undefined;
  timeoutMs: number | undefined;
  signal: AbortSignal | undefined;
}

/** A cell's pool task rejected with `error`: it timed out, was interrupted, or its worker died (crash, out of memory). */
export function outcomeOfRejection(task: CellTask, error: unknown, stops: PoolStops): CellOutcome {
  if (stops.timeout?.aborted) return cellFailure(task, 'timeout', `timed out after ${stops.timeoutMs! / 1000} s`);
  if (stops.signal?.aborted) return cellFailure(task, 'aborted', 'interrupted');
  return cellFailure(task, 'crash', error instanceof Error ? error.message : String(error));
}
