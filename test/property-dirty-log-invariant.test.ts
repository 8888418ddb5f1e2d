/**
 * The dirty-log invariant the harvest relies on (src/mmu/dirtyLog.ts): in a
 * slot under dirty logging, every writable leaf has its page's dirty bit set,
 * after every event of a random sequence of accesses, pre-faults, unmaps,
 * write-protects, logging toggles and harvests, on x86 and arm64, with and
 * without eager split. And right after DIRTY_LOG_GET no leaf of the slot is
 * writable; right after DIRTY_LOG_CLEAR none in its range is.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PERM_WRITE } from '../src/mmu/entry.js';
import { pagesPerLevel } from '../src/mmu/level.js';
import type { Engine } from '../src/replay/engine.js';
import { replayText } from './helpers/traceFromText.js';
import { propertyParams } from './helpers/propertyConfig.js';

const MiB = 1 << 20;
const SLOT_PAGES = 1024; // one 4 MiB slot at GPA 0
const hex = (n: number): string => '0x' + n.toString(16);

const page = fc.integer({ min: 0, max: SLOT_PAGES - 1 });
const event = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(fc.constantFrom('R', 'W', 'W', 'X'), page) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('PREFAULT', 'UNMAP', 'WRPROTECT'), page) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('TOGGLE', 'GET', 'CLEAR'), fc.integer({ min: 0, max: SLOT_PAGES / 64 - 1 })) },
);

interface Row {
  text: string;
  op: string;
  /** CLEAR: its page range. */
  firstPage?: number;
  pages?: number;
}

/** Rows for the events; GET and CLEAR only while logging is on, so every row is valid. */
function rowsOf(events: readonly (readonly [string, number])[]): Row[] {
  let logging = false;
  const rows: Row[] = [];
  for (const [op, n] of events) {
    if (op === 'TOGGLE') {
      rows.push({ text: `0,${logging ? 'DIRTY_LOG_OFF' : 'DIRTY_LOG_ON'},0x0,,0`, op: 'TOGGLE' });
      logging = !logging;
    } else if (op === 'GET' || op === 'CLEAR') {
      if (!logging) continue;
      if (op === 'GET') rows.push({ text: '0,DIRTY_LOG_GET,0x0,,0', op });
      else rows.push({ text: `0,DIRTY_LOG_CLEAR,${hex(n * 64 * 4096)},${2 * 64 * 4096},0`, op, firstPage: n * 64, pages: 128 });
    } else if (op === 'R' || op === 'W' || op === 'X') {
      rows.push({ text: `0,${op},${hex(n * 4096)},8,`, op });
    } else {
      rows.push({ text: `0,${op},${hex(n * 4096)},${op === 'PREFAULT' ? 2 * MiB : 8192},`, op });
    }
  }
  return rows;
}

/** Writable leaves of slot 0 overlapping pages [first, first + count), as [gfn, pages] pairs. */
function writableLeaves(engine: Engine, first: number, count: number): number[][] {
  const found: number[][] = [];
  for (const table of engine.vm.tables) {
    table.walkLeaves(first, first + count, (_t, _s, level, gfn, word) => {
      if ((word & PERM_WRITE) !== 0) found.push([gfn, pagesPerLevel(level)]);
    });
  }
  return found;
}

describe('dirty log invariant (property)', () => {
  it('a writable leaf of a logged slot is always dirty; a harvest leaves none writable in its range', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('x86-tdp', 'arm64'),
        fc.constantFrom('on', 'off'),
        fc.constantFrom('4k', '2m'),
        fc.array(event, { minLength: 1, maxLength: 60 }),
        async (arch, eagerSplit, backing, events) => {
          const rows = rowsOf(events);
          if (rows.length === 0) return;
          const csv = 'vcpu,op,gpa,size,x_slot\n' + rows.map((r) => r.text).join('\n') + '\n';
          let problem: string | undefined;
          await replayText(csv, { arch, eagerSplit, backing }, [{ gpa: 0, sizeBytes: SLOT_PAGES * 4096 }], undefined, (engine, index) => {
            if (problem !== undefined) return;
            const slot = engine.vm.memslots.byId(0);
            if (!slot.dirtyLogging) return;
            const row = rows[index];
            for (const [gfn, pages] of writableLeaves(engine, 0, SLOT_PAGES)) {
              if (pages !== 1) problem = `row ${index + 2} (${row.text}): a writable ${pages}-page leaf at gfn ${hex(gfn)} in a logged slot`;
              else if (!engine.vm.dirtyLog.isDirty(slot, gfn)) problem = `row ${index + 2} (${row.text}): gfn ${hex(gfn)} writable but not dirty`;
            }
            if (row.op === 'GET' && writableLeaves(engine, 0, SLOT_PAGES).length > 0) problem = `row ${index + 2}: writable leaves after GET`;
            if (row.op === 'CLEAR' && writableLeaves(engine, row.firstPage!, row.pages!).length > 0)
              problem = `row ${index + 2}: writable leaves in the CLEAR range`;
            if (row.op === 'GET' && engine.vm.dirtyLog.dirtyPages(slot) !== 0) problem = `row ${index + 2}: dirty pages left after GET`;
          });
          expect(problem).toBeUndefined();
        },
      ),
      propertyParams(150),
    );
  }, 60_000);
});
