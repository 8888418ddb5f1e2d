/**
 * The deterministic replay engine of one cell: a `Vm` and one
 * `VcpuAccessPath` per vCPU (TLBs, page-walk cache, counters). It replays
 * guest accesses in trace order, batch by batch, and carries out the VM's
 * flush requests at once on every vCPU through the arch's flush policy.
 * The per-vCPU threads use the same `Vm` and `VcpuAccessPath` with a shared
 * stage-2 and a flush mailbox instead (src/replay/perVcpu/).
 */
import { Op } from '../trace/ops.js';
import type { TraceEvents } from '../trace/traceEvents.js';
import type { VcpuStats } from '../mmu/stats.js';
import { Vm } from '../mmu/vm.js';
import type { AccessKind, FlushOrigin, FlushSink, Stage2Backing, VmOptions } from '../mmu/vmOptions.js';
import type { TlbHierarchy } from '../tlb/tlbHierarchy.js';
import { FlushPolicy, newFlushPlan, type FlushFlags } from '../tlb/flushPolicy.js';
import { FRAMES_PER_BYTE, NEED_BY_KIND, VcpuAccessPath, type AccessPathOptions } from './vcpuAccessPath.js';
import { L1SlotCache, cachedHit, firstPlaceHit, hitsLast, hugePlaceHit } from './l1SlotCache.js';
import { Level, alignGfnDown } from '../mmu/level.js';
import { tlbTag } from '../tlb/tlbTag.js';
import type { ReachFeed } from './reachFeed.js';
import type { ReachRing } from './reachRing.js';
import type { ReachCurveData } from '../tlb/reachCurve.js';

/** Permission each access op needs, indexed by op (Op.R/W/X are AccessKind.Read/Write/Exec). */
const NEED_BY_OP = Uint8Array.from(NEED_BY_KIND);
/**
 * `FRAMES_PER_BYTE` in a constant of this module: TurboFan does not fold an
 * imported binding into a constant, so the loop would load and check it on
 * every access (docs/benchmarks.md, "Imported constants").
 */
const FRAMES_PER_BYTE_HERE = FRAMES_PER_BYTE;
/** Highest op code that is a guest access (Op.X). */
const MAX_ACCESS_OP = Op.X;
const EXEC_OP = Op.X;
const L4K = Level.L4K;
const L2M = Level.L2M;

export interface EngineOptions extends AccessPathOptions {
  vm: VmOptions;
  vcpuCount: number;
  flush: FlushFlags;
  /** A shared stage-2 and its lock (the per-vCPU setup); default a local table. */
  backing?: Stage2Backing;
}

export class Engine implements FlushSink {
  readonly vm: Vm;
  readonly paths: VcpuAccessPath[] = [];
  /** Per vCPU: its counters (`paths[v].stats`). */
  readonly vcpuStats: VcpuStats[];
  /** Per vCPU: its TLB hierarchy (`paths[v].tlb`). */
  readonly tlbs: TlbHierarchy[];
  /** The vCPUs' L1 slot cache (the batch loop holds its arrays in locals). */
  private readonly cache: L1SlotCache;
  /** Per vCPU: its reach feed (`paths[v].reach`); empty with no reach curve. */
  private readonly reachFeeds: ReachFeed[];
  /** The thread computing the reach curves, when they are not computed here. */
  private readonly reachRing: ReachRing | undefined;
  private readonly policy: FlushPolicy;
  private readonly plan = newFlushPlan();
  /** Where the last `replayAccesses` stopped: the next event, or the one that threw. */
  batchIndex = 0;
  /** Per vCPU: fast-path hits of the running `replayAccesses` batch, not yet in the stats. */
  private readonly fastHits: Float64Array;

  constructor(options: EngineOptions) {
    this.vm = new Vm(options.vm, this, options.backing);
    this.policy = new FlushPolicy(options.flush, options.vm);
    this.cache = new L1SlotCache(options.vcpuCount, options.tlb);
    for (let v = 0; v < options.vcpuCount; v++) this.paths.push(new VcpuAccessPath(v, this.vm, options, { slots: this.cache, index: v }));
    this.reachFeeds = options.reach === true ? this.paths.map((p) => p.reach!) : [];
    this.reachRing = options.reach === true ? options.reachRing : undefined;
    this.vcpuStats = this.paths.map((p) => p.stats);
    this.tlbs = this.paths.map((p) => p.tlb);
    this.fastHits = new Float64Array(options.vcpuCount);
  }

  /**
   * Replay events [start, stop) of `ev` while they are guest accesses;
   * returns the index of the first other event (or `stop`). The same as
   * `access` for each event, in order, with the fast path's hits counted per
   * vCPU in `fastHits` and added to the stats before returning (counters
   * only add, so the totals are the same whenever they are read between
   * batches). No allocation.
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

  /** One guest access of `kind` on `vcpu` (`VcpuAccessPath.access`). */
  access(vcpu: number, kind: AccessKind, gpa: number, sizeBytes: number): void {
    this.paths[vcpu].access(kind, gpa, sizeBytes);
  }

  /**
   * The loop of `replayAccesses`. Nothing runs after the loop but `return`:
   * V8 reuses a loop's on-stack-replacement code across calls, and code after
   * the loop that had not run before the first compilation would deoptimize
   * it on every call.
   */
  private runAccesses(ev: TraceEvents, start: number, stop: number): number {
    const { op: ops, vcpu: vcpus, gpa: gpas, sizeBytes: sizes } = ev;
    const paths = this.paths;
    const { keys, words, ranges, epochs, arrays } = this.cache;
    const { keys: placeKeys, stampAt, permsAt, hugeLive, stamps, clock } = this.cache.firstPlace;
    const pathCount = paths.length;
    const cache = this.cache;
    const reachFeeds = this.reachFeeds;
    const feedReach = reachFeeds.length > 0;
    const fastHits = this.fastHits;
    for (let i = start; i < stop; i++) {
      const op = ops[i];
      if (op > MAX_ACCESS_OP) return i;
      const vcpu = vcpus[i];
      const gpa = gpas[i];
      const size = sizes[i];
      const gfn = Math.floor(gpa * FRAMES_PER_BYTE_HERE);
      const lastGfn = size === 1 ? gfn : Math.floor((gpa + size - 1) * FRAMES_PER_BYTE_HERE);
      if (lastGfn === gfn) {
        if (hitsLast(ranges, vcpu, gfn, op as number as AccessKind)) {
          fastHits[vcpu]++;
          if (feedReach) reachFeeds[vcpu].lookupLast();
          continue;
        }
        if (firstPlaceHit(placeKeys, stampAt, permsAt, stamps, clock, ranges, vcpu, op as number as AccessKind, gfn)) {
          fastHits[vcpu]++;
          if (feedReach) reachFeeds[vcpu].lookup(tlbTag(gfn, L4K), true);
          continue;
        }
        if (hugePlaceHit(hugeLive, placeKeys, stampAt, permsAt, stamps, clock, ranges, vcpu, op as number as AccessKind, gfn)) {
          fastHits[vcpu]++;
          if (feedReach) reachFeeds[vcpu].lookup(tlbTag(alignGfnDown(gfn, L2M), L2M), true);
          continue;
        }
        const c = cachedHit(keys, words, ranges, epochs, arrays, pathCount, vcpu, gfn, op === EXEC_OP ? 1 : 0, NEED_BY_OP[op]);
        if (c >= 0) {
          fastHits[vcpu]++;
          if (feedReach) reachFeeds[vcpu].lookup(cache.tagOf(c), true);
          continue;
        }
      }
      // The L1 probe and the lookups live in the access path (one call: the loop stays small).
      const path = paths[vcpu];
      this.batchIndex = i; // where a throw from the slow path happened
      if (path.pastCache(op as number as AccessKind, gfn, lastGfn)) fastHits[vcpu]++;
      else path.stats.accesses++;
    }
    return stop;
  }

  /** Each vCPU's reach curve, in vCPU order (none without `reach`), once the replay is over. */
  reachCurves(): ReachCurveData[] {
    if (this.reachRing === undefined) return this.reachFeeds.map((feed) => feed.result());
    for (const feed of this.reachFeeds) feed.drain();
    return this.reachRing.finish();
  }

  /** Stop the reach thread, if any, after a replay that failed. */
  closeReach(): void {
    this.reachRing?.close();
  }

  /** Add the fast-path hits counted by `replayAccesses` to the vCPUs' stats. */
  private flushFastHits(): void {
    const fastHits = this.fastHits;
    for (let v = 0; v < fastHits.length; v++) {
      const hits = fastHits[v];
      if (hits === 0) continue;
      const stats = this.paths[v].stats;
      stats.accesses += hits;
      stats.tlb_hits += hits;
      fastHits[v] = 0;
    }
  }

  /**
   * FlushSink: plan and count the request with the arch's policy, then carry
   * it out on every vCPU at once (the deterministic order: before the
   * faulting access fills its TLB).
   */
  requestFlush(startGfn: number, endGfn: number, alias: number, origin: FlushOrigin): void {
    const plan = this.plan;
    const stats = this.vm.stats;
    this.policy.planAndCount(startGfn, endGfn, alias, origin, plan, stats, this.paths.length);
    for (const path of this.paths) path.flush(plan.full, plan.ranges, plan.rangeCount, plan.requested, 1, stats);
  }

  /** Debug check of TLB coherence on every vCPU: the first violation, or undefined. */
  checkCoherence(): string | undefined {
    for (const path of this.paths) {
      const problem = path.coherenceProblem();
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
}
