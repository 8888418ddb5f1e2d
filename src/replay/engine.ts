/**
 * The replay engine of one cell: a `Vm`, and per vCPU a TLB hierarchy, an
 * optional page-walk cache and a stats object. It turns each access into TLB
 * lookups, asks the VM to translate on a last-level miss, counts the walk,
 * and carries out the VM's flush requests on every vCPU through the arch's
 * flush policy.
 */
import { Level, PAGE_SIZE_BYTES, alignGfnDown, pagesPerLevel } from '../mmu/level.js';
import { Op } from '../trace/ops.js';
import type { TraceEvents } from '../trace/traceEvents.js';
import { PERM_EXEC, PERM_READ, PERM_RWX, PERM_WRITE } from '../mmu/entry.js';
import { VcpuStats } from '../mmu/stats.js';
import { AccessKind, Vm, type FlushOrigin, type FlushSink, type VmOptions } from '../mmu/vm.js';
import { gpaToGfn } from '../mmu/address.js';
import { TlbHierarchy, TlbHit } from '../tlb/tlbHierarchy.js';
import type { TlbArray } from '../tlb/tlbArray.js';
import type { TlbGeometry } from '../tlb/tlbPresets.js';
import { PageWalkCache } from '../tlb/pageWalkCache.js';
import { FlushPolicy, newFlushPlan, type FlushPolicyOptions } from '../tlb/flushPolicy.js';
import { GuestWalker } from './guestWalk.js';

const NEED: readonly number[] = [0, PERM_READ, PERM_WRITE, PERM_EXEC];
/** Permission each access op needs, indexed by op (Op.R/W/X are AccessKind.Read/Write/Exec). */
const NEED_BY_OP = Uint8Array.from(NEED);
/** Highest op code that is a guest access (Op.X). */
const MAX_ACCESS_OP = Op.X;
const EXEC_OP = Op.X;
/**
 * 1 / PAGE_SIZE_BYTES: multiplying by a power of two is exact in doubles, so
 * `Math.floor(gpa * FRAMES_PER_BYTE)` is `gpaToGfn(gpa)` without a division.
 */
const FRAMES_PER_BYTE = 1 / PAGE_SIZE_BYTES;

export interface EngineOptions {
  vm: VmOptions;
  vcpuCount: number;
  tlb: TlbGeometry;
  /** Paging-structure caches for the upper levels of stage-2 walks. */
  pwc: boolean;
  flush: Omit<FlushPolicyOptions, 'family' | 'stolen'>;
  /** Guest stage-1 levels walked over stage-2 on each miss (0: none; see guestWalk.ts). */
  guestLevels: number;
}

export class Engine implements FlushSink {
  readonly vm: Vm;
  readonly tlbs: TlbHierarchy[] = [];
  readonly vcpuStats: VcpuStats[] = [];
  private readonly pwcs: (PageWalkCache | undefined)[] = [];
  /** Per vCPU: tags (`firstRawGfn * 4 + level`) of valid translations a flush dropped. */
  private readonly refill: Set<number>[] = [];
  private readonly policy: FlushPolicy;
  private readonly plan = newFlushPlan();
  private readonly rootLevel: Level;
  private readonly guest: GuestWalker | undefined;
  /** vCPU whose walk is being counted (for the PWC of `stage2Refs`). */
  private walkingVcpu = 0;
  /**
   * Per vCPU, two remembered translations, at indices `2 * vcpu` and
   * `2 * vcpu + 1`; `lastIndex[vcpu]` says which one is the last (the other
   * is the previous one, `lastIndex ^ 1`), so making the previous one the
   * last is one store. Fields: [first, end) frames, permissions, 0/1 for
   * data/fetch (-1: none), the L1 array and slot holding it and its tag there.
   *
   * The last translation: the one the last lookup used, while it is in L1
   * and nothing else has touched that vCPU's TLB since. Hitting it again
   * changes no LRU order (the entry is already the most recent in its
   * array), so the lookup can be skipped exactly.
   *
   * The previous translation: the one used before the last. Unlike the last
   * one it may have been touched since, so a hit on it is taken only when
   * its slot still holds its tag (its permissions are read there), and it
   * makes the entry the most recent as the lookup would (`TlbArray.touch`).
   * Both rely on the TLB never holding two entries for one frame in an
   * array (a flush drops a translation before the stage-2 can map the frame
   * otherwise).
   */
  private readonly trFirst: Float64Array;
  private readonly trEnd: Float64Array;
  private readonly trPerms: Uint8Array;
  private readonly trExec: Int8Array;
  private readonly trArray: (TlbArray | undefined)[];
  private readonly trSlot: Int32Array;
  private readonly trTag: Float64Array;
  /** Per vCPU: index in the `tr*` arrays of its last translation. */
  private readonly lastIndex: Int32Array;
  /** Where the last `replayAccesses` stopped: the next event, or the one that threw. */
  batchIndex = 0;
  /** Per vCPU: fast-path hits of the running `replayAccesses` batch, not yet in the stats. */
  private readonly fastHits: Float64Array;

  constructor(options: EngineOptions) {
    this.vm = new Vm(options.vm, this);
    const remembered = 2 * options.vcpuCount;
    this.trFirst = new Float64Array(remembered);
    this.trEnd = new Float64Array(remembered);
    this.trPerms = new Uint8Array(remembered);
    this.trExec = new Int8Array(remembered).fill(-1);
    this.trArray = new Array<TlbArray | undefined>(remembered).fill(undefined);
    this.trSlot = new Int32Array(remembered);
    this.trTag = new Float64Array(remembered);
    this.lastIndex = Int32Array.from({ length: options.vcpuCount }, (_, vcpu) => 2 * vcpu);
    this.fastHits = new Float64Array(options.vcpuCount);
    this.rootLevel = this.vm.tables[0].rootLevel;
    this.policy = new FlushPolicy({ ...options.flush, family: options.vm.profile.family, stolen: options.vm.stolen });
    for (let i = 0; i < options.vcpuCount; i++) {
      this.tlbs.push(new TlbHierarchy(options.tlb));
      this.vcpuStats.push(new VcpuStats());
      this.pwcs.push(options.pwc ? new PageWalkCache(this.rootLevel) : undefined);
      this.refill.push(new Set());
    }
    this.guest = options.guestLevels > 0 ? new GuestWalker(this.vm, options.guestLevels, (gfn, level) => this.stage2Refs(gfn, level)) : undefined;
  }

  /** References of a stage-2 walk for `gfn` ending at a leaf of `level`, through the walking vCPU's PWC. */
  private stage2Refs(gfn: number, level: Level): number {
    const pwc = this.pwcs[this.walkingVcpu];
    return pwc === undefined ? this.rootLevel - level + 1 : pwc.walk(gfn, level);
  }

  /**
   * Replay events [start, stop) of `ev` while they are guest accesses;
   * returns the index of the first other event (or `stop`). The same as
   * `access` for each event, in order, with the last-translation fast path
   * inlined: its hits are counted per vCPU in `fastHits` and added to the
   * stats before returning (counters only add, so the totals are the same
   * whenever they are read between batches). No allocation, no call per hit.
   */
  replayAccesses(ev: TraceEvents, start: number, stop: number): number {
    try {
      const next = this.runAccesses(ev, start, stop);
      this.batchIndex = next;
      return next;
    } finally {
      this.flushFastHits();
    }
  }

  /**
   * The loop of `replayAccesses`. Nothing runs after the loop but `return`:
   * V8 reuses a loop's on-stack-replacement code across calls, and code after
   * the loop that had not run before the first compilation would deoptimize
   * it on every call.
   */
  private runAccesses(ev: TraceEvents, start: number, stop: number): number {
    const { op: ops, vcpu: vcpus, gpa: gpas, sizeBytes: sizes } = ev;
    const trFirst = this.trFirst;
    const trEnd = this.trEnd;
    const trPerms = this.trPerms;
    const trExec = this.trExec;
    const lastIndex = this.lastIndex;
    const fastHits = this.fastHits;
    for (let i = start; i < stop; i++) {
      const op = ops[i];
      if (op > MAX_ACCESS_OP) return i;
      const vcpu = vcpus[i];
      const gpa = gpas[i];
      const size = sizes[i];
      const gfn = Math.floor(gpa * FRAMES_PER_BYTE);
      const lastGfn = size === 1 ? gfn : Math.floor((gpa + size - 1) * FRAMES_PER_BYTE);
      const last = lastIndex[vcpu];
      if (
        lastGfn === gfn &&
        trExec[last] === (op === EXEC_OP ? 1 : 0) &&
        gfn >= trFirst[last] &&
        gfn < trEnd[last] &&
        (trPerms[last] & NEED_BY_OP[op]) !== 0
      ) {
        fastHits[vcpu]++;
        continue;
      }
      if (lastGfn === gfn && this.hitPrevious(vcpu, gfn, op === EXEC_OP ? 1 : 0, NEED_BY_OP[op])) {
        fastHits[vcpu]++;
        continue;
      }
      this.batchIndex = i; // where a throw from the slow path happened
      this.vcpuStats[vcpu].accesses++;
      this.lookupAll(vcpu, op as number as AccessKind, gfn, lastGfn);
    }
    return stop;
  }

  /**
   * Second fast path (single-frame accesses only): `gfn` in the translation used
   * before the last, still in its L1 slot with the permission. Then it is
   * what the TLB lookup would find: make it the most recent in its set, the last
   * translation (the other becomes the previous one) and return true (an L1
   * hit, for the caller to count). Else false, nothing changed.
   */
  private hitPrevious(vcpu: number, gfn: number, exec: number, need: number): boolean {
    const last = this.lastIndex[vcpu];
    const prev = last ^ 1;
    if (this.trExec[prev] !== exec || gfn < this.trFirst[prev] || gfn >= this.trEnd[prev]) return false;
    const array = this.trArray[prev]!;
    const slot = this.trSlot[prev];
    if (array.tagAt(slot) !== this.trTag[prev]) return false;
    const perms = array.permsAt(slot);
    if ((perms & need) === 0) return false;
    array.touch(slot);
    // The previous translation becomes the last one, the last one the previous.
    this.trPerms[prev] = perms;
    this.lastIndex[vcpu] = prev;
    return true;
  }

  /** Add the fast-path hits counted by `replayAccesses` to the vCPUs' stats. */
  private flushFastHits(): void {
    const fastHits = this.fastHits;
    for (let v = 0; v < fastHits.length; v++) {
      const hits = fastHits[v];
      if (hits === 0) continue;
      const stats = this.vcpuStats[v];
      stats.accesses += hits;
      stats.tlb_hits += hits;
      fastHits[v] = 0;
    }
  }

  /**
   * One guest access of `kind` to [gpa, gpa + sizeBytes). Every translation
   * it spans is one TLB lookup. A lookup that misses the last level, or hits
   * without the permission, counts once as a miss and goes to the VM (which
   * may fault); a translation found is walked (`walk_refs`) and filled. MMIO
   * leaves no translation, so the access moves on by 4 KiB.
   */
  access(vcpu: number, kind: AccessKind, gpa: number, sizeBytes: number): void {
    const stats = this.vcpuStats[vcpu];
    const need = NEED[kind];
    const exec = kind === AccessKind.Exec ? 1 : 0;
    stats.accesses++;
    const gfn = gpaToGfn(gpa);
    const lastGfn = sizeBytes === 1 ? gfn : gpaToGfn(gpa + sizeBytes - 1);
    // 1. Fast path: one frame, in the translation this vCPU used last.
    const last = this.lastIndex[vcpu];
    if (
      gfn === lastGfn &&
      this.trExec[last] === exec &&
      gfn >= this.trFirst[last] &&
      gfn < this.trEnd[last] &&
      (this.trPerms[last] & need) !== 0
    ) {
      stats.tlb_hits++;
      return;
    }
    this.lookupAll(vcpu, kind, gfn, lastGfn);
  }

  /**
   * Step 2 of `access` (after `accesses` is counted and the fast path
   * missed): every translation frames [gfn, lastGfn] span, one lookup each.
   */
  private lookupAll(vcpu: number, kind: AccessKind, gfn: number, lastGfn: number): void {
    const stats = this.vcpuStats[vcpu];
    const need = NEED[kind];
    const exec = kind === AccessKind.Exec ? 1 : 0;
    const tlb = this.tlbs[vcpu];
    while (gfn <= lastGfn) {
      let level: Level = tlb.lookup(gfn, exec === 1);
      let perms = tlb.hitPerms;
      if (level !== (0 as Level) && (perms & need) !== 0) {
        stats.tlb_hits++;
        if (tlb.hit === TlbHit.L2) stats.l1_misses++;
      } else {
        stats.tlb_misses++;
        stats.l1_misses++;
        if (tlb.hasL2) stats.l2_misses++;
        if (this.refill[vcpu].size > 0) this.countRefill(vcpu, gfn);
        const word = this.vm.translate(gfn, kind, stats);
        if (word === 0) {
          this.trExec[this.lastIndex[vcpu]] = -1;
          gfn++;
          continue;
        }
        level = this.vm.translatedLevel;
        this.walkingVcpu = vcpu;
        stats.walk_refs += this.stage2Refs(gfn, level);
        if (this.guest !== undefined) {
          // 2D walk: the guest's page-table reads first; the combined entry is 4K (guest pages are 4K).
          stats.walk_refs += this.guest.guestRefs(gfn, stats);
          level = Level.L4K;
        }
        perms = word & PERM_RWX;
        tlb.fill(gfn, level, perms, exec === 1);
      }
      const first = alignGfnDown(gfn, level);
      gfn = first + pagesPerLevel(level);
      if (tlb.inL1) {
        const array = tlb.l1Array!;
        const slot = array.lastSlot;
        let last = this.lastIndex[vcpu];
        if (this.trExec[last] !== -1 && (this.trArray[last] !== array || this.trSlot[last] !== slot)) {
          // The last translation becomes the previous one.
          last ^= 1;
          this.lastIndex[vcpu] = last;
        }
        this.trFirst[last] = first;
        this.trEnd[last] = gfn;
        this.trPerms[last] = perms;
        this.trExec[last] = exec;
        this.trArray[last] = array;
        this.trSlot[last] = slot;
        this.trTag[last] = array.tagAt(slot);
      } else {
        this.trExec[this.lastIndex[vcpu]] = -1;
      }
    }
  }

  /**
   * FlushSink: plan the request with the arch's policy, then drop entries on
   * every vCPU. A full flush counts the entries outside the requested range
   * as collateral; every dropped entry still valid is remembered so its next
   * miss counts as a refill miss.
   */
  requestFlush(startGfn: number, endGfn: number, alias: number, origin: FlushOrigin): void {
    const s = this.vm.stats;
    const plan = this.plan;
    s.flush_requests++;
    this.policy.plan(startGfn, endGfn, alias, origin, plan);
    if (plan.full) s.flushes_full++;
    else s.flushes_range += plan.rangeOps;
    if (plan.ipis) s.flush_ipis += this.tlbs.length;
    const rawStart = alias === 0 || !this.vm.options.stolen.any ? startGfn : this.vm.options.stolen.alias(startGfn);
    const rawEnd = rawStart + (endGfn - startGfn);
    for (let v = 0; v < this.tlbs.length; v++) {
      const tlb = this.tlbs[v];
      const refill = this.refill[v];
      let inRequest = 0;
      tlb.forEachEntry((first, level, perms) => {
        if (first < rawEnd && first + pagesPerLevel(level) > rawStart) inRequest++;
        const willDrop = plan.full || this.inPlan(first, level);
        if (willDrop && this.stillValid(first, level, perms)) refill.add(first * 4 + level);
      });
      let dropped = 0;
      if (plan.full) {
        dropped = tlb.flushAll();
        s.tlb_entries_flushed_collateral += dropped - inRequest;
      } else {
        for (let r = 0; r < plan.rangeCount; r++) dropped += tlb.flushRange(plan.ranges[r * 2], plan.ranges[r * 2 + 1]);
      }
      s.tlb_entries_flushed += dropped;
      this.trExec[2 * v] = -1;
      this.trExec[2 * v + 1] = -1;
      this.pwcs[v]?.clear();
      this.vcpuStats[v].tlb_flushes++;
    }
  }

  /**
   * Debug check of TLB coherence: no entry may translate a frame whose stage-2
   * mapping is absent or has fewer permissions. Returns a description of the
   * first violation, or undefined.
   */
  checkCoherence(): string | undefined {
    let problem: string | undefined;
    this.tlbs.forEach((tlb, vcpu) =>
      tlb.forEachEntry((first, level, perms) => {
        if (problem !== undefined) return;
        const step = level === Level.L1G ? pagesPerLevel(Level.L2M) : 1;
        for (let gfn = first; gfn < first + pagesPerLevel(level); gfn += step) {
          if (!this.frameAllows(gfn, perms)) {
            problem = `vCPU ${vcpu}: TLB entry for frame 0x${first.toString(16)} (level ${level}) outlived its mapping at 0x${gfn.toString(16)}`;
            return;
          }
        }
      }),
    );
    return problem;
  }

  /** True when the raw frame `gfn` is mapped with at least `perms`. */
  private frameAllows(rawGfn: number, perms: number): boolean {
    const stolen = this.vm.options.stolen;
    const gfn = stolen.any ? stolen.strip(rawGfn) : rawGfn;
    const table = this.vm.tables[gfn === rawGfn ? 0 : 1];
    const word = table.lookup(gfn);
    return word !== 0 && (word & perms) === perms;
  }

  /** True when a TLB entry still matches the stage-2: same level, permissions at least its own. */
  private stillValid(rawFirst: number, level: Level, perms: number): boolean {
    const stolen = this.vm.options.stolen;
    const gfn = stolen.any ? stolen.strip(rawFirst) : rawFirst;
    const table = this.vm.tables[gfn === rawFirst ? 0 : 1];
    const word = table.lookup(gfn);
    return word !== 0 && table.lookupLevel === level && (word & perms) === perms;
  }

  private inPlan(first: number, level: Level): boolean {
    const plan = this.plan;
    for (let r = 0; r < plan.rangeCount; r++) {
      if (first < plan.ranges[r * 2 + 1] && first + pagesPerLevel(level) > plan.ranges[r * 2]) return true;
    }
    return false;
  }

  private countRefill(vcpu: number, gfn: number): void {
    const refill = this.refill[vcpu];
    for (let level = Level.L4K; level <= Level.L1G; level++) {
      const tag = alignGfnDown(gfn, level) * 4 + level;
      if (refill.delete(tag)) {
        this.vcpuStats[vcpu].refill_misses++;
        return;
      }
    }
  }
}
