/**
 * The model's side of the runner's dirty-log reads (native/kvm-runner
 * run.c): the runner reads KVM_GET_DIRTY_LOG at each DIRTY_LOG_GET or
 * DIRTY_LOG_CLEAR row (the pages it harvests), before each DIRTY_LOG_OFF of
 * a logged slot, and at the end for every slot still logged (line 0). This
 * replays the trace and takes the model's dirty bitmap (src/mmu/dirtyLog.ts)
 * at the same moments: just before those rows, and after the last one.
 */
import { Op } from '../trace/ops.js';
import type { Trace } from '../trace/traceEvents.js';
import { PAGE_SIZE_BYTES } from '../mmu/level.js';
import type { Engine } from '../replay/engine.js';
import { replayCell } from '../replay/replayCell.js';
import type { Layout } from '../replay/openCell.js';
import type { CellResult } from '../replay/results.js';
import type { Scenario } from '../replay/scenario.js';

/** Key of one dirty-log read: `LINE:SLOT`, as the runner reports it. */
export function dirtyReadKey(line: number, slot: number): string {
  return `${line}:${slot}`;
}

/** The dirty pages the model holds for the event at `index` (a harvest or DIRTY_LOG_OFF row), or undefined. */
function dirtyBefore(engine: Engine, trace: Trace, index: number): number | undefined {
  const ev = trace.events;
  const op = ev.op[index];
  if (op !== Op.DIRTY_LOG_GET && op !== Op.DIRTY_LOG_CLEAR && op !== Op.DIRTY_LOG_OFF) return undefined;
  const slot = engine.vm.memslots.all().find((s) => s.id === ev.slot[index]);
  if (slot === undefined || !slot.dirtyLogging) return undefined;
  if (op !== Op.DIRTY_LOG_CLEAR) return engine.vm.dirtyLog.dirtyPages(slot);
  const first = ev.gpa[index] / PAGE_SIZE_BYTES;
  let count = 0;
  for (let gfn = first; gfn < first + ev.sizeBytes[index] / PAGE_SIZE_BYTES; gfn++) if (engine.vm.dirtyLog.isDirty(slot, gfn)) count++;
  return count;
}

/**
 * Replay `trace` as `replayCell` does and return its result with the
 * model's dirty pages at each of the runner's reads, by `dirtyReadKey`.
 * A streamed trace (no events in memory) gets no dirty figures.
 */
export function replayWithDirtyPages(trace: Trace, scenario: Scenario, layout: Layout): { result: CellResult; dirty: Map<string, number> } {
  const dirty = new Map<string, number>();
  const ev = trace.events;
  const inMemory = trace.stream === undefined;
  const note = (engine: Engine, index: number): void => {
    const pages = dirtyBefore(engine, trace, index);
    if (pages !== undefined) dirty.set(dirtyReadKey(ev.line[index], ev.slot[index]), pages);
  };
  const result = replayCell(trace, scenario, layout, {
    // After event i, the state is the one event i + 1 starts from.
    afterEvent: inMemory ? (engine, index) => index + 1 < ev.count && note(engine, index + 1) : undefined,
    inspect: inMemory
      ? (engine) => {
          for (const slot of engine.vm.memslots.all()) if (slot.dirtyLogging) dirty.set(dirtyReadKey(0, slot.id), engine.vm.dirtyLog.dirtyPages(slot));
        }
      : undefined,
  });
  return { result, dirty };
}
