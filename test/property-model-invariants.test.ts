/**
 * Model invariants over random layouts and event sequences, for every arch
 * (fast-check, fixed seed): TLB coherence after every event (the replay's
 * debug check), leaves inside memslots and never overlapping, `pages_*` and
 * the private/shared and device/normal splits equal to the leaves present,
 * and pKVM's mirror in step with the stage-2.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/cli/errors.js';
import { ATTR_DEVICE, ATTR_PRIVATE } from '../src/mmu/entry.js';
import { Level, pagesPerLevel } from '../src/mmu/level.js';
import type { Engine } from '../src/replay/engine.js';
import { replayText } from './helpers/traceFromText.js';
import { propertyParams } from './helpers/propertyConfig.js';

const MiB = 1 << 20;
const GiB = 1 << 30;
const SHARED_BIT = 2 ** 47;
const hex = (n: number): string => '0x' + n.toString(16);

const arch = fc.constantFrom('x86-tdp', 'x86-tdx', 'arm64', 'pkvm', 'pkvm-pmd');
const level = fc.constantFrom('4k', '2m', '1g');

/** Up to three memslots, one per GiB, each starting at a random 4K offset. */
const slots = fc.array(
  fc.record({
    offsetPages: fc.constantFrom(0, 1, 511, 512, 1000),
    sizePages: fc.constantFrom(1, 511, 512, 513, 2048, 262144 - 1000),
    hvaOffsetBytes: fc.constantFrom(0, 0, 4096),
    readOnly: fc.boolean(),
    private: fc.boolean(),
    pfnmap: fc.constantFrom('none', 'none', 'device', 'normal'),
  }),
  { minLength: 1, maxLength: 3 },
);

/** A GPA near a memslot (some fall outside: MMIO). */
const gpa = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 4096 + 600 }), fc.integer({ min: 0, max: 511 })).map(
  ([gib, page, word]) => gib * GiB + page * 4096 + word * 8,
);
const range = fc.tuple(gpa, fc.constantFrom(4096, 8192, 2 * MiB, 3 * MiB + 4096)).map(([start, size]) => [start - (start % 4096), size] as const);

const event = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.constantFrom('R', 'W', 'X'), fc.integer({ min: 0, max: 1 }), gpa, fc.boolean()) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('PREFAULT', 'UNMAP', 'WRPROTECT', 'SET_PRIVATE', 'SET_SHARED'), fc.constant(0), range, fc.constant(false)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('DIRTY_LOG'), fc.constant(0), fc.integer({ min: 0, max: 2 }), fc.constant(false)) },
);

/** Trace text for the events; dirty-logging toggles alternate per slot so every row is valid. */
function traceText(events: readonly (readonly [string, number, unknown, boolean])[], slotCount: number, tdx: boolean): string {
  const logging = new Array<boolean>(slotCount).fill(false);
  const rows = ['vcpu,op,gpa,size,x_slot'];
  for (const [op, vcpu, arg, alias] of events) {
    if (op === 'DIRTY_LOG') {
      const id = (arg as number) % slotCount;
      rows.push(`0,${logging[id] ? 'DIRTY_LOG_OFF' : 'DIRTY_LOG_ON'},0x0,,${id}`);
      logging[id] = !logging[id];
    } else if (op === 'R' || op === 'W' || op === 'X') {
      const at = (arg as number) + (alias && tdx ? SHARED_BIT : 0);
      rows.push(`${vcpu},${op},${hex(at)},8,`);
    } else {
      const [start, size] = arg as readonly [number, number];
      rows.push(`${vcpu},${op},${hex(start)},${size},`);
    }
  }
  return rows.join('\n') + '\n';
}

/** Check the stage-2 against the memslots and the counters; returns a problem or undefined. */
function checkStage2(engine: Engine): string | undefined {
  const vm = engine.vm;
  const counted = { 1: 0, 2: 0, 3: 0 } as Record<number, number>;
  let privateLeaves = 0;
  let deviceLeaves = 0;
  let leaves = 0;
  for (const table of vm.tables) {
    let previousEnd = -1;
    let problem: string | undefined;
    table.walkLeaves(0, 2 ** 40, (_t, _s, lvl: Level, gfn, word) => {
      const end = gfn + pagesPerLevel(lvl);
      if (gfn < previousEnd) problem ??= `leaf at 0x${gfn.toString(16)} overlaps the previous one`;
      previousEnd = end;
      const slot = vm.memslots.find(gfn);
      if (!slot || end > slot.baseGfn + slot.npages) problem ??= `leaf [0x${gfn.toString(16)}, 0x${end.toString(16)}) is not inside one memslot`;
      counted[lvl]++;
      leaves++;
      if (word & ATTR_PRIVATE) privateLeaves++;
      if (word & ATTR_DEVICE) deviceLeaves++;
    });
    if (problem) return problem;
  }
  const s = vm.stats;
  if (counted[1] !== s.pages_4k || counted[2] !== s.pages_2m || counted[3] !== s.pages_1g) {
    return `pages_4k/2m/1g ${s.pages_4k}/${s.pages_2m}/${s.pages_1g} but leaves ${counted[1]}/${counted[2]}/${counted[3]}`;
  }
  if (s.pages_private !== privateLeaves || s.pages_private + s.pages_shared !== leaves) return 'private/shared counts do not add up';
  if (s.pages_device !== deviceLeaves || s.pages_device + s.pages_normal !== leaves) return 'device/normal counts do not add up';
  const mirror = vm.mirror;
  if (mirror) {
    if (mirror.tree.size !== leaves) return `pKVM tree holds ${mirror.tree.size} mappings, stage-2 ${leaves}`;
    if (mirror.byKind.host_share_guest - mirror.byKind.host_unshare_guest !== leaves) return 'share - unshare hypercalls != mappings';
  }
  return undefined;
}

describe('model invariants (property)', () => {
  it('hold after random events on random layouts, for every arch', async () => {
    let replayed = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        arch,
        level,
        level,
        slots,
        fc.array(event, { minLength: 1, maxLength: 40 }),
        fc.record({
          nx: fc.constantFrom('on', 'off'),
          eager: fc.constantFrom('auto', 'on', 'off'),
          logOff: fc.constantFrom('auto', 'recover', 'zap', 'keep'),
          tlb: fc.constantFrom('simple', 'skylake', 'neoverse-n1'),
          flush: fc.constantFrom('auto', 'range', 'full'),
          policy: fc.constantFrom('upstream', 'exact'),
        }),
        async (archName, maxLevel, backing, layout, events, opts) => {
          const arm = archName === 'arm64' || archName.startsWith('pkvm');
          const memslots = layout.map((s, i) => ({
            gpa: i * GiB + s.offsetPages * 4096,
            sizeBytes: Math.min(s.sizePages * 4096, GiB - s.offsetPages * 4096),
            hvaOffsetBytes: s.hvaOffsetBytes,
            readOnly: s.readOnly,
            private: !arm && s.private,
            pfnmap: arm ? (s.pfnmap as 'none' | 'device' | 'normal') : ('none' as const),
          }));
          let problem: string | undefined;
          try {
            await replayText(
              traceText(events, memslots.length, archName === 'x86-tdx'),
              {
                arch: archName,
                maxLevel,
                backing,
                nxHugePages: opts.nx,
                eagerSplit: opts.eager,
                dirtyLogOff: opts.logOff,
                tlb: opts.tlb,
                tlbEntries: '16',
                tlbWays: '4',
                flushMode: opts.flush,
                prefaultPolicy: opts.policy,
              },
              memslots,
              (engine) => {
                problem = checkStage2(engine);
              },
            );
          } catch (error) {
            // Rows the model refuses are bad input; everything else is a bug.
            if (!(error instanceof InputError)) throw error;
            refused++;
            return;
          }
          replayed++;
          expect(problem).toBeUndefined();
        },
      ),
      propertyParams(60),
    );
    // Most generated traces must replay, not stop at a refused row.
    expect(replayed).toBeGreaterThan(refused);
  }, 120_000);

  it('a GFN pre-faulted and not since zapped never faults; pre-fault never maps outside the memslots', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('x86-tdp', 'x86-tdx', 'arm64', 'pkvm-pmd'),
        level,
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 600 })), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 1600 }), { minLength: 1, maxLength: 30 }),
        async (archName, backing, prefaults, touches) => {
          const rows = ['vcpu,op,gpa,size'];
          for (const [page, pages] of prefaults) rows.push(`0,PREFAULT,${hex(page * 4096)},${pages * 4096}`);
          const prefaulted = (p: number): boolean => prefaults.some(([start, n]) => p >= start && p < start + n);
          // Pre-fault stops with ENOENT at the slot's end (1200 pages): touch only what it could map.
          const inside = touches.filter((p) => prefaulted(p) && p < 1200);
          for (const p of inside) rows.push(`0,R,${hex(p * 4096)},8`);
          let problem: string | undefined;
          const r = await replayText(rows.join('\n') + '\n', { arch: archName, backing }, [{ gpa: 0, sizeBytes: 1200 * 4096 }], (engine) => {
            problem = checkStage2(engine);
          });
          expect(problem).toBeUndefined();
          expect(r.total.faults).toBe(0);
        },
      ),
      propertyParams(60),
    );
  }, 120_000);

  it('the exact pre-fault policy never maps outside the request', async () => {
    await fc.assert(
      fc.asyncProperty(
        level,
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1200 }), fc.integer({ min: 1, max: 1100 })), { minLength: 1, maxLength: 3 }),
        async (backing, prefaults) => {
          const rows = ['vcpu,op,gpa,size', ...prefaults.map(([page, pages]) => `0,PREFAULT,${hex(page * 4096)},${pages * 4096}`)];
          const requested = (gfn: number): boolean => prefaults.some(([start, n]) => gfn >= start && gfn < start + n);
          const outside: number[] = [];
          await replayText(rows.join('\n') + '\n', { backing, prefaultPolicy: 'exact' }, [{ gpa: 0, sizeBytes: GiB }], (engine) => {
            engine.vm.tables[0].walkLeaves(0, 2 ** 36, (_t, _s, lvl: Level, gfn) => {
              for (let g = gfn; g < gfn + pagesPerLevel(lvl); g += lvl === Level.L1G ? 4096 : 1) if (!requested(g)) outside.push(g);
            });
          });
          expect(outside).toEqual([]);
        },
      ),
      propertyParams(60),
    );
  }, 120_000);
});
