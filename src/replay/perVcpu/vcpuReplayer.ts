/**
 * One vCPU of the per-vCPU replay: its private TLB hierarchy (and page-walk
 * cache), its stats, and the shared stage-2 it faults into. The same access
 * accounting as `Engine.access` (one lookup per translation spanned, a miss
 * goes to the stage-2, a found translation is walked and filled), but a
 * fault is handled as KVM's parallel fault path handles it: under the
 * mmu_lock held for read, installing by cmpxchg, and a fault that finds the
 * work done by another vCPU is spurious.
 *
 * Supported here: faults (missing and permission), UNMAP and WRPROTECT. Ops
 * that need the whole VM serialised are refused before the run
 * (`perVcpuSupport.ts`).
 */
import { Level, alignGfnDown, pagesPerLevel } from '../../mmu/level.js';
import { ATTR_DEVICE, ATTR_PRIVATE, PERM_EXEC, PERM_READ, PERM_RWX, PERM_WRITE, makeLeaf } from '../../mmu/entry.js';
import { VcpuStats } from '../../mmu/stats.js';
import { AccessKind, FlushOrigin, type VmOptions } from '../../mmu/vm.js';
import { MemslotSet, type Memslot } from '../../mmu/memslots.js';
import { maxMappingLevel } from '../../mmu/mappingLevel.js';
import { gpaToGfn } from '../../mmu/address.js';
import { TlbHierarchy, TlbHit } from '../../tlb/tlbHierarchy.js';
import { TLB_PRESETS, simpleGeometry } from '../../tlb/tlbPresets.js';
import { PageWalkCache } from '../../tlb/pageWalkCache.js';
import { FlushPolicy, newFlushPlan } from '../../tlb/flushPolicy.js';
import { vmOptionsFor } from '../vmOptions.js';
import { Install, SharedPageTable } from './sharedPageTable.js';
import { FlushRequests, newTakenRequests } from './flushRequests.js';
import type { PerVcpuCell } from './perVcpuCell.js';

const NEED: readonly number[] = [0, PERM_READ, PERM_WRITE, PERM_EXEC];
/** Re-executions of one access before the replay gives up (a livelock would be a model bug). */
const MAX_FAULTS_PER_ACCESS = 10_000;

export class VcpuReplayer {
  readonly stats = new VcpuStats();
  /** This vCPU's view of the shared stage-2; its `stats` are this vCPU's VM-counter deltas. */
  readonly table: SharedPageTable;
  /** Flush requests that found this vCPU's mailbox full (became full flushes). */
  mailboxOverflows = 0;
  private readonly tlb: TlbHierarchy;
  private readonly pwc: PageWalkCache | undefined;
  private readonly requests: FlushRequests;
  /** This vCPU's request word, loaded before every access. */
  private readonly requestWord: Int32Array;
  private readonly taken = newTakenRequests();
  /** The cell's memslots (fixed). */
  readonly memslots = new MemslotSet();
  private readonly options: VmOptions;
  private readonly arm64: boolean;
  private readonly policy: FlushPolicy;
  private readonly plan = newFlushPlan();
  /** Tags (`first * 4 + level`) of valid translations a flush dropped, for `refill_misses`. */
  private readonly refill = new Set<number>();
  private translatedLevel: Level = Level.L4K;
  /** The translation the last lookup used while it is in L1 (as `Engine`'s fast path); lastExec -1: none. */
  private lastFirst = 0;
  private lastEnd = 0;
  private lastPerms = 0;
  private lastExec = -1;

  constructor(
    readonly vcpu: number,
    private readonly cell: PerVcpuCell,
  ) {
    const scenario = cell.scenario;
    this.table = new SharedPageTable(cell.table);
    this.options = { ...vmOptionsFor(scenario), rootLevel: this.table.rootLevel };
    this.arm64 = this.options.profile.family === 'arm64';
    for (const slot of cell.memslots) this.memslots.add(slot);
    this.tlb = new TlbHierarchy(scenario.tlb === 'simple' ? simpleGeometry(scenario.tlbEntries, scenario.tlbWays) : TLB_PRESETS[scenario.tlb]);
    this.pwc = scenario.pwc ? new PageWalkCache(this.table.rootLevel) : undefined;
    this.requests = new FlushRequests(cell.requests, cell.vcpuCount);
    this.requestWord = this.requests.requestWord(vcpu);
    this.policy = new FlushPolicy({
      mode: scenario.flushMode,
      rangeFlush: scenario.rangeFlush,
      tlbiRange: scenario.tlbiRange,
      aliasFlush: scenario.aliasFlush,
      family: this.options.profile.family,
      stolen: this.options.stolen,
    });
  }

  /**
   * One guest access, after checking this vCPU's request word (as
   * `vcpu_enter_guest` does before entering the guest).
   */
  access(kind: AccessKind, gpa: number, sizeBytes: number): void {
    if (Atomics.load(this.requestWord, 0) !== 0) this.serviceRequests();
    const stats = this.stats;
    const need = NEED[kind];
    const exec = kind === AccessKind.Exec ? 1 : 0;
    stats.accesses++;
    let gfn = gpaToGfn(gpa);
    const lastGfn = sizeBytes === 1 ? gfn : gpaToGfn(gpa + sizeBytes - 1);
    if (gfn === lastGfn && this.lastExec === exec && gfn >= this.lastFirst && gfn < this.lastEnd && (this.lastPerms & need) !== 0) {
      stats.tlb_hits++;
      return;
    }
    const tlb = this.tlb;
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
        if (this.refill.size > 0) this.countRefill(gfn);
        const word = this.translate(gfn, kind);
        if (word === 0) {
          this.lastExec = -1;
          gfn++;
          continue;
        }
        level = this.translatedLevel;
        stats.walk_refs += this.pwc === undefined ? this.table.rootLevel - level + 1 : this.pwc.walk(gfn, level);
        perms = word & PERM_RWX;
        tlb.fill(gfn, level, perms, exec === 1);
      }
      const first = alignGfnDown(gfn, level);
      gfn = first + pagesPerLevel(level);
      if (tlb.inL1) {
        this.lastFirst = first;
        this.lastEnd = gfn;
        this.lastPerms = perms;
        this.lastExec = exec;
      } else {
        this.lastExec = -1;
      }
    }
  }

  /** Host invalidation of `[startGfn, endGfn)` (`kvm_unmap_gfn_range`), under the write lock, then a flush. */
  unmap(startGfn: number, endGfn: number): void {
    const table = this.table;
    table.lock.writeLock();
    try {
      table.zapRange(startGfn, endGfn);
      if (table.changedEnd > table.changedStart) this.requestFlush(table.changedStart, table.changedEnd, FlushOrigin.Generic);
    } finally {
      table.lock.writeUnlock();
    }
  }

  /** Remove write permission over `[startGfn, endGfn)` under the write lock, then a range flush (as `Vm.writeProtect`). */
  writeProtect(startGfn: number, endGfn: number): void {
    const table = this.table;
    table.lock.writeLock();
    try {
      table.clearPermsRange(startGfn, endGfn, PERM_WRITE);
      if (table.changedEnd > table.changedStart) this.requestFlush(table.changedStart, table.changedEnd, FlushOrigin.Range);
    } finally {
      table.lock.writeUnlock();
    }
  }

  /** Check for requests now (the replay calls it once more after the last event). */
  serviceRequests(): void {
    if (!this.requests.pending(this.vcpu)) return;
    const taken = this.taken;
    this.requests.take(this.vcpu, taken);
    if (taken.overflowed) this.mailboxOverflows++;
    const tlb = this.tlb;
    const ranges = taken.ranges;
    const count = taken.count;
    const full = taken.full;
    let inRequest = 0;
    tlb.forEachEntry((first, level, perms) => {
      const end = first + pagesPerLevel(level);
      let requested = false;
      let dropped = full;
      for (let r = 0; r < count; r++) {
        if (first < ranges[r * 4 + 3] && end > ranges[r * 4 + 2]) requested = true;
        if (first < ranges[r * 4 + 1] && end > ranges[r * 4]) dropped = true;
      }
      if (requested) inRequest++;
      if (dropped && this.stillValid(first, level, perms)) this.refill.add(first * 4 + level);
    });
    const vm = this.table.stats;
    let dropped = 0;
    if (full) {
      dropped = tlb.flushAll();
      vm.tlb_entries_flushed_collateral += dropped - inRequest;
    } else {
      for (let r = 0; r < count; r++) dropped += tlb.flushRange(ranges[r * 4], ranges[r * 4 + 1]);
    }
    vm.tlb_entries_flushed += dropped;
    this.lastExec = -1;
    this.pwc?.clear();
    this.stats.tlb_flushes++;
  }

  /**
   * Translate `gfn` for `kind`: the hardware walk, then, while it fails, a
   * stage-2 fault and a re-execution (the guest retries the access).
   *
   * 1. Present with the permission: no fault.
   * 2. No memslot, a write to a read-only slot, exec of device memory: exit
   *    to userspace (`faults_mmio`), as `Vm.translate`.
   * 3. Otherwise a fault under the read lock: a missing entry is mapped
   *    (`installLeaf`), a present one gets the permission (`relaxLeaf`).
   *    Fixed counts as `faults_missing`/`faults_permission`; a fault that
   *    found the work already done, or lost a cmpxchg, counts as
   *    `faults_spurious` (the lost cmpxchg also in `installRaces`).
   * 4. Re-execute: walk again; fault again if still not translatable.
   */
  private translate(gfn: number, kind: AccessKind): number {
    const table = this.table;
    const need = NEED[kind];
    let word = table.lookup(gfn);
    if (word !== 0 && (word & need) !== 0) {
      this.translatedLevel = table.lookupLevel;
      return word;
    }
    const slot = this.memslots.find(gfn);
    if (slot === undefined || (kind === AccessKind.Write && slot.readOnly) || (kind === AccessKind.Exec && slot.pfnmap === 'device')) {
      this.stats.faults_mmio++;
      return 0;
    }
    for (let attempt = 0; attempt < MAX_FAULTS_PER_ACCESS; attempt++) {
      const missing = word === 0;
      table.lock.readLock();
      let outcome: Install;
      try {
        outcome = missing ? this.mapFault(gfn, slot, kind) : table.relaxLeaf(gfn, NEED[kind]);
      } finally {
        table.lock.readUnlock();
      }
      if (outcome !== Install.Fixed) this.stats.faults_spurious++;
      else if (missing) this.stats.faults_missing++;
      else this.stats.faults_permission++;
      word = table.lookup(gfn);
      if (word !== 0 && (word & need) !== 0) {
        this.translatedLevel = table.lookupLevel;
        return word;
      }
    }
    throw new Error(`vCPU ${this.vcpu}: gfn 0x${gfn.toString(16)} still not mapped after ${MAX_FAULTS_PER_ACCESS} faults`);
  }

  /**
   * One pre-fault step (`kvm_tdp_map_page`, a read fault) under the read
   * lock; the caller loops on `Install.Retry` as KVM loops on RET_PF_RETRY.
   */
  mapForPrefault(gfn: number, slot: Memslot): Install {
    this.table.lock.readLock();
    try {
      return this.mapFault(gfn, slot, AccessKind.Read);
    } finally {
      this.table.lock.readUnlock();
    }
  }

  /**
   * A missing-entry fault, as `Vm.mapFault` chooses its leaf (level from
   * `maxMappingLevel` capped by the arch; writable unless the slot is
   * read-only; arm64 executable only on exec faults), installed by cmpxchg.
   * A leaf that replaced a table of smaller leaves flushes their range.
   */
  private mapFault(gfn: number, slot: Memslot, kind: AccessKind): Install {
    const o = this.options;
    const isPrivate = slot.private;
    let level = maxMappingLevel(slot, gfn, o.maxLevel, isPrivate);
    const archMax = isPrivate ? o.profile.maxPrivateLevel : o.profile.maxSharedLevel;
    const clamped = level > archMax;
    if (clamped) level = archMax;
    const exec = this.arm64 ? kind === AccessKind.Exec : true;
    const attrs = (isPrivate ? ATTR_PRIVATE : 0) | (slot.pfnmap === 'device' ? ATTR_DEVICE : 0);
    const word = makeLeaf(PERM_READ | (slot.readOnly ? 0 : PERM_WRITE) | (exec ? PERM_EXEC : 0) | attrs);
    const outcome = this.table.installLeaf(gfn, level, word);
    if (outcome === Install.Fixed) {
      // Counted for fixed faults only, so the total does not depend on timing.
      if (clamped) this.table.stats.level_clamps++;
      if (this.table.replacedTable) {
        const first = alignGfnDown(gfn, level);
        this.requestFlush(first, first + pagesPerLevel(level), FlushOrigin.Range);
      }
    }
    return outcome;
  }

  /**
   * `kvm_flush_remote_tlbs[_range]`: plan with the arch's policy, count it as
   * `Engine.requestFlush` does, and post the request to every vCPU, this one
   * included (`kvm_make_all_cpus_request(kvm, KVM_REQ_TLB_FLUSH)`).
   */
  private requestFlush(startGfn: number, endGfn: number, origin: FlushOrigin): void {
    const s = this.table.stats;
    const plan = this.plan;
    s.flush_requests++;
    this.policy.plan(startGfn, endGfn, 0, origin, plan);
    if (plan.full) s.flushes_full++;
    else s.flushes_range += plan.rangeOps;
    if (plan.ipis) s.flush_ipis += this.cell.vcpuCount;
    const start = plan.full ? startGfn : plan.ranges[0];
    const end = plan.full ? endGfn : plan.ranges[1];
    for (let v = 0; v < this.cell.vcpuCount; v++) this.requests.post(v, plan.full, start, end, startGfn, endGfn);
  }

  /** True when a TLB entry still matches the shared stage-2 (same level, at least its permissions). */
  private stillValid(first: number, level: Level, perms: number): boolean {
    const word = this.table.lookup(first);
    return word !== 0 && this.table.lookupLevel === level && (word & perms) === perms;
  }

  private countRefill(gfn: number): void {
    for (let level = Level.L4K; level <= Level.L1G; level++) {
      if (this.refill.delete(alignGfnDown(gfn, level) * 4 + level)) {
        this.stats.refill_misses++;
        return;
      }
    }
  }
}
