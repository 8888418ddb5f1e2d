/**
 * Model invariants over random layouts and event sequences, for every arch
 * (fast-check, fixed seed): TLB coherence after every event (the replay's
 * debug check), leaves inside memslots and never overlapping, `pages_*` and
 * the private/shared and device/normal splits equal to the leaves present,
 * and pKVM's mirror in step with the stage-2: its tree ordered and AVL-balanced
 * after every event, holding exactly the stage-2's leaves, and each
 * operation's hypercalls, by kind, equal to the mappings it touched.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { ATTR_DEVICE, ATTR_PRIVATE, PERM_RWX, PERM_WRITE } from '../src/mmu/entry.js';
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
const gpa = fc
  .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 4096 + 600 }), fc.integer({ min: 0, max: 511 }))
  .map(([gib, page, word]) => gib * GiB + page * 4096 + word * 8);
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
    // The tree in order holds exactly the stage-2's leaves (pKVM has one alias).
    const inTree: string[] = [];
    mirror.tree.forEachInRange(0, 2 ** 40, (gfn, nrPages) => inTree.push(`${gfn}+${nrPages}`));
    const inStage2: string[] = [];
    vm.tables[0].walkLeaves(0, 2 ** 40, (_t, _s, lvl: Level, gfn) => inStage2.push(`${gfn}+${pagesPerLevel(lvl)}`));
    if (inTree.join() !== inStage2.join()) return `pKVM tree [${inTree.join(' ')}] != stage-2 leaves [${inStage2.join(' ')}]`;
  }
  return undefined;
}

/** Every present leaf of every alias, keyed `alias:gfn:level`, with its word. */
function leafWords(engine: Engine): Map<string, number> {
  const words = new Map<string, number>();
  engine.vm.tables.forEach((table, alias) => {
    table.walkLeaves(0, 2 ** 40, (_t, _s, lvl: Level, gfn, word) => words.set(`${alias}:${gfn}:${lvl}`, word));
  });
  return words;
}

/**
 * pKVM, after every event: the tree is ordered and AVL-balanced
 * (`checkInvariants`), and the event's hypercalls equal the mappings it
 * touched, by kind, counted independently by diffing the stage-2 leaves
 * before and after: one share per leaf that appeared, one unshare per leaf
 * that disappeared, one wrprotect per leaf that lost write permission, one
 * relax per leaf that gained a permission (a mapping is one 4K page, or one
 * 2M block under pkvm-pmd, as upstream passes `nr_pages` per hypercall).
 * Returns the checker, a getter for the first problem it found and the
 * number of events it checked.
 */
function pkvmOperationChecker(): { afterEvent: (engine: Engine, index: number) => void; problem: () => string | undefined; events: () => number } {
  let before = new Map<string, number>();
  let calls = { host_share_guest: 0, host_unshare_guest: 0, host_wrprotect_guest: 0, host_relax_perms_guest: 0 };
  let problem: string | undefined;
  let events = 0;
  const afterEvent = (engine: Engine, index: number): void => {
    events++;
    const mirror = engine.vm.mirror;
    if (!mirror || problem !== undefined) return;
    const treeProblem = mirror.tree.checkInvariants();
    if (treeProblem !== undefined) {
      problem = `event ${index}: pKVM tree: ${treeProblem}`;
      return;
    }
    const after = leafWords(engine);
    const want = { host_share_guest: 0, host_unshare_guest: 0, host_wrprotect_guest: 0, host_relax_perms_guest: 0 };
    for (const [key, word] of after) {
      const old = before.get(key);
      if (old === undefined) want.host_share_guest++;
      else if (old !== word) {
        if (old & PERM_WRITE & ~word) want.host_wrprotect_guest++;
        if (word & PERM_RWX & ~old) want.host_relax_perms_guest++;
      }
    }
    for (const key of before.keys()) if (!after.has(key)) want.host_unshare_guest++;
    const got = { ...mirror.byKind };
    const made = {
      host_share_guest: got.host_share_guest - calls.host_share_guest,
      host_unshare_guest: got.host_unshare_guest - calls.host_unshare_guest,
      host_wrprotect_guest: got.host_wrprotect_guest - calls.host_wrprotect_guest,
      host_relax_perms_guest: got.host_relax_perms_guest - calls.host_relax_perms_guest,
    };
    if (JSON.stringify(made) !== JSON.stringify(want)) {
      problem = `event ${index}: hypercalls ${JSON.stringify(made)} but mappings touched ${JSON.stringify(want)}`;
    } else if (
      engine.vm.stats.hypercalls !==
      got.host_share_guest + got.host_unshare_guest + got.host_wrprotect_guest + got.host_relax_perms_guest + got.tlb_flush_vmid
    ) {
      problem = `event ${index}: hypercalls ${engine.vm.stats.hypercalls} != the sum by kind`;
    }
    before = after;
    calls = got;
  };
  return { afterEvent, problem: () => problem, events: () => events };
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
          logOff: fc.constantFrom('auto', 'recover', 'zap', 'zap-leaves', 'keep'),
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
          const pkvm = pkvmOperationChecker();
          let result: Awaited<ReturnType<typeof replayText>>;
          try {
            result = await replayText(
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
              archName.startsWith('pkvm') ? pkvm.afterEvent : undefined,
            );
          } catch (error) {
            // Rows the model refuses are bad input; everything else is a bug.
            if (!(error instanceof InputError)) throw error;
            refused++;
            return;
          }
          replayed++;
          expect(problem).toBeUndefined();
          expect(pkvm.problem()).toBeUndefined();
          if (result.hypercallsByKind) {
            // Destroy unshared every mapping still shared.
            expect(result.hypercallsByKind.host_unshare_guest).toBe(result.hypercallsByKind.host_share_guest);
          }
        },
      ),
      propertyParams(60),
    );
    // Most generated traces must replay, not stop at a refused row.
    expect(replayed).toBeGreaterThan(refused);
  }, 120_000);

  it('pKVM: the tree stays ordered and balanced, and each operation makes one hypercall per mapping it touches', async () => {
    // Dense events over one 8 MiB slot (pages near its start, near the 2M
    // boundary at 512 and around its end at 2048), so that shares, unshares,
    // write-protects and permission relaxes all occur in most runs.
    const page = fc.oneof(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 500, max: 530 }), fc.integer({ min: 2030, max: 2060 }));
    const pkvmEvent = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.tuple(
          fc.constantFrom('R', 'W', 'X'),
          fc.integer({ min: 0, max: 1 }),
          page.map((p) => p * 4096),
          fc.constant(false),
        ),
      },
      {
        weight: 3,
        arbitrary: fc.tuple(
          fc.constantFrom('PREFAULT', 'UNMAP', 'WRPROTECT'),
          fc.constant(0),
          fc.tuple(
            page.map((p) => p * 4096),
            fc.constantFrom(4096, 3 * 4096, 2 * MiB, 2 * MiB + 4096),
          ),
          fc.constant(false),
        ),
      },
      { weight: 1, arbitrary: fc.tuple(fc.constant('DIRTY_LOG'), fc.constant(0), fc.constant(0), fc.constant(false)) },
    );
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('pkvm', 'pkvm-pmd'),
        fc.constantFrom('4k', '2m'),
        fc.array(pkvmEvent, { minLength: 20, maxLength: 60 }),
        async (archName, backing, events) => {
          const pkvm = pkvmOperationChecker();
          let problem: string | undefined;
          const r = await replayText(
            traceText(events, 1, false),
            { arch: archName, backing, tlb: 'simple', tlbEntries: '16', tlbWays: '4' },
            [{ gpa: 0, sizeBytes: 2048 * 4096 }],
            (engine) => {
              problem = checkStage2(engine);
            },
            pkvm.afterEvent,
          );
          expect(problem).toBeUndefined();
          expect(pkvm.problem()).toBeUndefined();
          expect(pkvm.events()).toBe(events.length); // checked after every event
          expect(r.hypercallsByKind?.host_unshare_guest).toBe(r.hypercallsByKind?.host_share_guest);
          if ((r.hypercallsByKind?.host_wrprotect_guest ?? 0) > 0 && (r.hypercallsByKind?.host_relax_perms_guest ?? 0) > 0) checked++;
        },
      ),
      propertyParams(40),
    );
    // Most runs must exercise permission changes, not only shares.
    expect(checked).toBeGreaterThan(20);
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
