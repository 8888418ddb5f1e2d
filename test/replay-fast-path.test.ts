/**
 * The fast paths (`Engine.replayAccesses`: the L1 slot cache checked inline,
 * the L1 probe, hits counted per batch) change no counter: against a full
 * TLB lookup for every access (`VcpuAccessPath.lookupAll`, no fast path), on
 * random accesses over few pages with small TLBs (evictions, LRU order),
 * several vCPUs, exec fetches, and UNMAP / WRPROTECT between them (flushes),
 * every vCPU and VM counter, the TLB contents and the reach curves come out
 * equal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/replay/engine.js';
import { vmOptionsFor } from '../src/replay/vmOptions.js';
import { slotFromSpec } from '../src/replay/openCell.js';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { TLB_PRESETS, simpleGeometry } from '../src/tlb/tlbPresets.js';
import type { AccessKind } from '../src/mmu/vmOptions.js';
import { gpaToGfn } from '../src/mmu/address.js';
import { unmapGfnRange, writeProtectGfnRange } from '../src/mmu/hostEvents.js';
import { Op } from '../src/trace/ops.js';
import { allocateTraceEvents, type TraceEvents } from '../src/trace/traceEvents.js';
import { propertyParams } from './helpers/propertyConfig.js';

const PAGE = 4096;
const VCPUS = 3;

function newEngine(arch: string, backing: string, tlb: 'small' | 'preset'): Engine {
  const [scenario] = parseMatrix({ arch, backing, prefault: 'none' });
  const engine = new Engine({
    vm: vmOptionsFor(scenario, 1 << 30),
    vcpuCount: VCPUS,
    tlb: tlb === 'small' ? simpleGeometry(8, 2) : TLB_PRESETS.icelake,
    pwc: scenario.pwc,
    flush: { mode: scenario.flushMode, rangeFlush: scenario.rangeFlush, tlbiRange: scenario.tlbiRange, aliasFlush: scenario.aliasFlush },
    guestLevels: 0,
    reach: true,
  });
  engine.vm.addSlot(slotFromSpec({ id: 0, gpa: 0, sizeBytes: 1 << 30, source: '' }, 0, scenario.backing, false));
  return engine;
}

function host(engine: Engine, ev: TraceEvents, i: number): void {
  const start = Math.floor(ev.gpa[i] / PAGE);
  if (ev.op[i] === Op.UNMAP) unmapGfnRange(engine.vm, start, start + 1);
  else writeProtectGfnRange(engine.vm, start, start + 512);
}

/** Every counter and TLB entry of `engine`, as plain data. */
function state(engine: Engine): unknown {
  const entries = engine.tlbs.map((tlb) => {
    const list: number[][] = [];
    tlb.forEachEntry((first, level, perms) => list.push([first, level, perms]));
    return list;
  });
  const reach = engine.paths.map((path) => path.reach?.result());
  return { vcpus: engine.vcpuStats.map((s) => ({ ...s })), vm: { ...engine.vm.stats }, entries, reach };
}

const event = fc.record({
  op: fc.constantFrom(Op.R, Op.R, Op.W, Op.X, Op.R, Op.W, Op.UNMAP, Op.WRPROTECT),
  vcpu: fc.constantFrom(0, 0, 0, 1, 2),
  // Pages of one TLB set of the small TLB (4 sets: page numbers 4 apart), in 3 huge pages, so
  // alternating between two translations and evicting a third depends on the LRU order.
  page: fc.integer({ min: 0, max: 8 }).map((p) => (p % 3) * 512 + Math.floor(p / 3) * 4),
  offset: fc.constantFrom(0, 8, 4088, 4095),
  size: fc.constantFrom(1, 8),
  // Runs of the same access, so the fast path (which serves an access its vCPU's probe served before) is taken often.
  repeat: fc.constantFrom(1, 1, 2, 3),
});

describe('batch replay fast paths', () => {
  for (const [arch, backing, tlb] of [
    ['x86-tdp', '2m', 'small'],
    ['x86-tdp', '4k', 'small'],
    ['arm64', '2m', 'preset'],
  ] as const) {
    it(`${arch}, ${backing} backing, ${tlb} TLB: the same counters, TLB entries and reach curves as a full lookup per access (property)`, () => {
      fc.assert(
        fc.property(fc.array(event, { minLength: 1, maxLength: 200 }), (runs) => {
          const list = runs.flatMap((e) => Array.from({ length: e.op > Op.X ? 1 : e.repeat }, () => e));
          const ev = allocateTraceEvents(list.length);
          list.forEach((e, i) => {
            ev.op[i] = e.op;
            ev.vcpu[i] = e.vcpu;
            ev.gpa[i] = e.page * PAGE + e.offset;
            ev.sizeBytes[i] = e.size;
            ev.slot[i] = -1;
          });
          const batch = newEngine(arch, backing, tlb);
          for (let i = 0; i < ev.count; ) {
            i = batch.replayAccesses(ev, i, ev.count);
            if (i < ev.count) host(batch, ev, i++);
          }
          const single = newEngine(arch, backing, tlb);
          for (let i = 0; i < ev.count; i++) {
            if (ev.op[i] > Op.X) {
              host(single, ev, i);
              continue;
            }
            const path = single.paths[ev.vcpu[i]];
            path.stats.accesses++;
            path.lookupAll(ev.op[i] as number as AccessKind, gpaToGfn(ev.gpa[i]), gpaToGfn(ev.gpa[i] + ev.sizeBytes[i] - 1), false);
          }
          expect(state(batch)).toEqual(state(single));
        }),
        propertyParams(150),
      );
    }, 60_000);
  }
});
