/**
 * Replay one trace under one scenario, from a fresh VM, and return its
 * result. Pure: the result depends only on (trace events, scenario, layout).
 *
 * 1-2. `openCell`: the engine, the memslots, the scenario's pre-fault.
 * 3.   The trace, in order, chunk by chunk (`replayEvents`).
 * 4.   The counters, then the VM is destroyed (`cellResult`).
 */
import { OP_NAMES } from '../trace/ops.js';
import type { Trace, TraceEvents } from '../trace/traceEvents.js';
import { openEventChunks } from '../trace/eventChunks.js';
import { InputError, located } from '../errors.js';
import { MemslotError } from '../mmu/memslots.js';
import { VCPU_COUNTER_NAMES, VM_COUNTER_NAMES, VcpuStats } from '../mmu/stats.js';
import { sumReachCurves } from '../tlb/reachCurve.js';
import type { Engine } from './engine.js';
import { hostEvent } from './hostEvent.js';
import { touchPrefaulted } from './prefaultUse.js';
import { openCell, type Layout, type OpenedCell } from './openCell.js';
import type { Scenario } from './scenario.js';
import type { CellResult, VcpuCounters, VmCounters } from './results.js';
import { FaultCurve } from './faultCurve.js';

/** Debug switches for tests; never set by the command line. */
export interface ReplayDebug {
  /** Check TLB coherence after every event; a violation throws. */
  checkCoherence?: boolean;
  /** Called with the engine after the last event, before the VM is destroyed (invariant checks). */
  inspect?: (engine: Engine) => void;
  /** Called with the engine and the event's index after every trace event (per-operation invariant checks). */
  afterEvent?: (engine: Engine, index: number) => void;
}

/** Run options of a replay (not scenario dimensions: they change no counter). */
export interface ReplayOptions {
  /** Feed a reach curve per vCPU and report their sum (`tlbReach`); off unless asked (the CLI asks by default). */
  tlbReach?: boolean;
  /** With `tlbReach`: compute the curves on a thread of their own (src/replay/reachRing.ts); the same curves. */
  tlbReachThread?: boolean;
  /**
   * The events replayed so far, stored in element 0 at each fault-curve step
   * and chunk end (at least every hundredth of the trace): a view of shared
   * memory that another thread reads for a progress display.
   */
  eventsDone?: Float64Array;
}

/** Replay `trace` under `scenario`. Throws `InputError` (located) for impossible rows. */
export function replayCell(trace: Trace, scenario: Scenario, layout: Layout, debug: ReplayDebug = {}, options: ReplayOptions = {}): CellResult {
  const started = performance.now();
  const cell = openCell(trace, scenario, layout, undefined, options.tlbReach === true, options.tlbReachThread === true);
  try {
    const faultCurve = replayEvents(cell, trace, debug, options.eventsDone);
    debug.inspect?.(cell.engine);
    return cellResult(cell, trace, scenario, faultCurve, performance.now() - started);
  } finally {
    cell.engine.closeReach(); // after a failure; done already after a result
  }
}

/**
 * Step 3: the trace's events in order, chunk by chunk (a streamed trace never
 * sits in memory whole). Guest accesses take the engine's batch loop; the
 * rest go to `hostEvent`. Returns the fault curve (101 points).
 */
function replayEvents(cell: OpenedCell, trace: Trace, debug: ReplayDebug, eventsDone: Float64Array | undefined): number[] {
  const engine = cell.engine;
  const curve = new FaultCurve(trace.events.count);
  const checkCoherence = debug.checkCoherence === true;
  const afterEvent = debug.afterEvent;
  /** Debug checks after every event: replay one event per step. */
  const perEvent = checkCoherence || afterEvent !== undefined;
  const prefaulted = engine.vm.prefaulted;
  const stolen = cell.vmOptions.stolen;
  const source = openEventChunks(trace);
  /** Events of the chunks before `ev`. */
  let before = 0;
  let ev: TraceEvents | undefined;
  try {
    for (ev = source.next(); ev !== undefined; before += ev.count, ev = source.next()) {
      const count = ev.count;
      // Until the next fault-curve sample (or the chunk's end), nothing but replay.
      for (let i = 0; i < count; ) {
        const stop = perEvent ? i + 1 : Math.min(count, Math.max(i + 1, Math.ceil(curve.due) - before));
        while (i < stop) {
          if (!prefaulted.empty) touchPrefaulted(prefaulted, stolen, ev, i, stop); // only while a pre-faulted frame is untouched
          i = engine.replayAccesses(ev, i, stop); // guest accesses, up to the next host event
          if (i < stop) {
            hostEvent(cell, ev, i);
            i++;
          }
        }
        const done = before + i; // events replayed so far
        if (eventsDone !== undefined) eventsDone[0] = done;
        if (checkCoherence) {
          const problem = engine.checkCoherence();
          if (problem !== undefined) throw new Error(`${trace.path}:${ev.line[i - 1]}: TLB coherence violated after ${OP_NAMES[ev.op[i - 1]]}: ${problem}`);
        }
        afterEvent?.(engine, done - 1);
        if (done >= curve.due) curve.sample(done, totalFaults(engine.vcpuStats));
      }
    }
  } catch (error) {
    if (error instanceof MemslotError && ev !== undefined) {
      const at = engine.batchIndex; // the event that failed: an access in a batch, or the host event after it
      throw new InputError(located(trace.path, ev.line[at], 'op', `${OP_NAMES[ev.op[at]]}: ${error.message}`));
    }
    throw error;
  } finally {
    source.close();
  }
  return curve.finish(totalFaults(engine.vcpuStats));
}

/** Step 4: counters describe the end of the replay; then the VM is destroyed (pKVM unshares all). */
export function cellResult(cell: OpenedCell, trace: Trace, scenario: Scenario, faultCurve: number[], elapsedMs: number): CellResult {
  const { engine, vm } = cell;
  const vmCounters = {} as VmCounters;
  for (const name of VM_COUNTER_NAMES) vmCounters[name] = vm.stats[name];
  vmCounters.prefault_pages_unused = vm.prefaulted.unused;
  vm.destroy();
  vmCounters.hypercalls = vm.stats.hypercalls;
  const total = new VcpuStats();
  for (const s of engine.vcpuStats) total.add(s);
  const tlbReach = sumReachCurves(engine.reachCurves());
  return {
    trace: trace.name,
    scenario,
    vcpus: engine.vcpuStats.map(countersOf),
    total: countersOf(total),
    vm: vmCounters,
    prefaultCalls: cell.prefaultCalls,
    ...(cell.ioctlErrors.length > 0 ? { ioctlErrors: cell.ioctlErrors } : {}),
    faultCurve,
    ...(vm.mirror ? { hypercallsByKind: vm.mirror.byKind } : {}),
    ...(tlbReach !== undefined ? { tlbReach } : {}),
    elapsedMs,
  };
}

function totalFaults(stats: readonly VcpuStats[]): number {
  let sum = 0;
  for (const s of stats) sum += s.faults;
  return sum;
}

/** A vCPU's counters as plain data, with the derived `faults`. */
export function countersOf(stats: VcpuStats): VcpuCounters {
  const out = { faults: stats.faults } as VcpuCounters;
  for (const name of VCPU_COUNTER_NAMES) out[name] = stats[name];
  return out;
}
