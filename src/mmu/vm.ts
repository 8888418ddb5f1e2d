/**
 * The VM's stage-2 MMU: memslots, one stage-2 table per GPA alias, memory
 * attributes and the arch profile, with KVM's fault path and the host-side
 * events. It never sees a trace or a TLB: TLB flushes leave through
 * `FlushSink`, counts through the stats objects.
 *
 * One fault path for both replays: the deterministic one (a local entry
 * store, no lock) and the per-vCPU threads (each worker's `Vm` over the one
 * shared store, the shared mmu_lock). Every table operation of the fault
 * path returns a status, so a race lost on a shared store is a spurious
 * fault and a re-execution, as in KVM; on a local store it never happens.
 */
import { Level, alignGfnDown, pagesPerLevel } from './level.js';
import { MAP_FIXED, MAP_RETRY, MAP_SPURIOUS, PageTable } from './pageTable.js';
import { AliasLeafListener } from './aliasLeafListener.js';
import { LocalEntryStore, type EntryStore } from './entryStore.js';
import { NO_MMU_LOCK, type MmuLock } from './mmuLock.js';
import { MemslotSet, MemslotError, type Memslot } from './memslots.js';
import { NewLeaf } from './newLeaf.js';
import { PERM_EXEC, PERM_READ, PERM_WRITE, makeLeaf } from './entry.js';
import { VmStats, framesMapped, type VcpuStats } from './stats.js';
import { MemoryAttributes } from './memoryAttributes.js';
import { HypercallMirror, PkvmFlushSink } from './pkvm/hypercallMirror.js';
import { zapLeaves } from './hostEvents.js';
import { AccessedFlags, walkReachesLeaf } from './aging.js';
import { DirtyLog } from './dirtyLog.js';
import { PrefaultFrames } from './prefaultFrames.js';
import { dirtyLogRefusal } from './dirtyLogging.js';
import { AccessKind, FlushOrigin, type FlushSink, type Stage2Backing, type VmOptions } from './vmOptions.js';

export const PERMS_FOR: readonly number[] = [0, PERM_READ, PERM_WRITE, PERM_EXEC];
/** Alias indices: 0 = stolen bits clear (TDX private), 1 = stolen bits set (TDX shared). */
export const ALIAS_PLAIN = 0;
export const ALIAS_STOLEN = 1;
/** Faults of one access before the model gives up (only a race can repeat one; a livelock would be a model bug). */
export const MAX_FAULTS_PER_ACCESS = 10_000;
/** `zapLeaves` predicate that zaps every leaf visited (one function, not a closure per call). */
export const ZAP_ALL = (): boolean => true;

/** A fault that fixed the walk counts as a permission fault or a missing-leaf fault; returns the fixed leaf word. */
function countFixed(vcpu: VcpuStats, permission: boolean, fixed: number): number {
  if (permission) vcpu.faults_permission++;
  else vcpu.faults_missing++;
  return fixed;
}

export class Vm {
  readonly memslots = new MemslotSet();
  /** One table per alias; `tables[1]` exists only with stolen bits. */
  readonly tables: PageTable[];
  /** VM counters; on a shared store, this worker's deltas. */
  readonly stats = new VmStats();
  readonly attributes = new MemoryAttributes();
  /** pKVM's host-side mirror of the mappings, when the arch has one. */
  readonly mirror: HypercallMirror | undefined;
  /** The mmu_lock: read for faults and pre-fault steps, write for host-side changes. */
  readonly lock: MmuLock;
  /** Level of the leaf returned by the last `translate` (or `mapFaultAt`). */
  translatedLevel: Level = Level.L4K;
  /** Level of the leaf the last `mappingOf` found. */
  mappingLevel: Level = Level.L4K;
  /** Dirty bitmaps of the slots under dirty logging (dirtyLog.ts). */
  readonly dirtyLog = new DirtyLog();
  readonly prefaulted = new PrefaultFrames(); // pre-faulted frames no access touched yet (`prefault_pages_unused`)
  /** A guest_memfd slot was ever added: not KVM_X86_DEFAULT_VM, so `kvm_memslot_flush_zap_all()` is false. */
  hasPrivateSlot = false;
  /** Leaves aged and not accessed since (AGE, src/mmu/aging.ts). */
  readonly accessed = new AccessedFlags();

  /** Arch-profile and option decisions of the fault path, fixed per scenario (no string compare per fault). */
  private readonly stolenAny: boolean;
  private readonly sharedNeedsSharedAlias: boolean;
  private readonly execAbortsOutsideRam: boolean;
  private readonly faultTakesWriteLock: boolean;
  /** A fault takes the mmu_lock (shared store) or calls the pKVM mirror before and after (`faultOnce`). */
  private readonly faultHooks: boolean;
  private readonly nxHugePages: boolean;
  private readonly splitPreservesMappings: boolean;
  /** The level and bits of the leaf a fault installs (newLeaf.ts). */
  readonly newLeaf: NewLeaf;

  /** Where flush requests go: the caller's sink, through `PkvmFlushSink` on pKVM. */
  readonly flushSink: FlushSink;

  constructor(
    readonly options: VmOptions,
    flushSink: FlushSink,
    backing?: Stage2Backing,
  ) {
    const profile = options.profile;
    this.stolenAny = options.stolen.any;
    this.sharedNeedsSharedAlias = profile.sharedNeedsSharedAlias;
    this.execAbortsOutsideRam = profile.execAbortsOutsideRam;
    this.faultTakesWriteLock = profile.hypercallMirror;
    this.nxHugePages = options.nxHugePages;
    this.splitPreservesMappings = profile.splitPreservesMappings;
    this.newLeaf = new NewLeaf(options, this.stats);
    // kvm_mmu_cache_min_pages = kvm_stage2_levels - 1 (stage2_pgtable.h): the tables below the root.
    this.mirror = profile.hypercallMirror ? new HypercallMirror(this.stats, profile.pkvmShareBeforeTreeCheck, options.rootLevel - 1) : undefined;
    this.flushSink = this.mirror !== undefined ? new PkvmFlushSink(flushSink, this.mirror) : flushSink;
    this.lock = backing?.lock ?? NO_MMU_LOCK;
    this.faultHooks = this.mirror !== undefined || this.lock !== NO_MMU_LOCK;
    const table = (store: EntryStore): PageTable => new PageTable(store, options.rootLevel, profile.permOnlyChangeIsSpurious);
    this.tables = [table(backing?.store ?? new LocalEntryStore())];
    if (options.stolen.any) {
      if (backing !== undefined) throw new Error('a shared stage-2 backs one GPA alias only');
      this.tables.push(table(new LocalEntryStore()));
    }
    // The plain table reports to the VM itself (its alias is the default): one call less on every leaf change.
    for (const [alias, t] of this.tables.entries()) t.listener = alias === ALIAS_PLAIN ? this : new AliasLeafListener(this, alias);
  }

  /** Keeps `pages_*` equal to the leaves present, and the pKVM mirror in step. */
  onLeafChange(gfn: number, level: Level, oldWord: number, newWord: number, alias = ALIAS_PLAIN): void {
    if (oldWord !== 0) this.stats.countLeaf(level, oldWord, -1);
    if (newWord !== 0) this.stats.countLeaf(level, newWord, 1);
    if (this.accessed.anyOld && (oldWord === 0 || newWord === 0)) this.accessed.markYoung(alias, gfn, level);
    if (this.mirror !== undefined) this.mirror.onLeafChange(gfn, level, oldWord, newWord, alias);
  }

  /** 4 KiB frames mapped now, at every level and alias (on a shared store: this worker's own additions). */
  mappedFrames(): number {
    return framesMapped(this.stats);
  }

  /** True when `gfn` of `slot` has the private attribute (guest_memfd slots start private). */
  isPrivate(slot: Memslot, gfn: number): boolean {
    return slot.private && (this.attributes.get(gfn) ?? true);
  }

  /** The leaf mapping raw frame `rawGfn` (stolen bits included) now, or 0; its level in `mappingLevel`. No fault. */
  mappingOf(rawGfn: number): number {
    const gfn = this.stolenAny ? this.options.stolen.strip(rawGfn) : rawGfn;
    const table = this.tables[gfn === rawGfn ? ALIAS_PLAIN : ALIAS_STOLEN];
    const word = table.lookup(gfn);
    this.mappingLevel = table.lookupLevel;
    return word;
  }

  /**
   * Translate `rawGfn` (stolen bits included) for an access of `kind`, taking
   * the stage-2 fault KVM would take when the mapping is missing or lacks the
   * permission. Returns the leaf word (level in `translatedLevel`), or 0 when
   * the access exits to userspace. Follows `kvm_tdp_page_fault` /
   * `kvm_tdp_mmu_map` (x86) and `user_mem_abort` (arm64).
   *
   * 1. Present with the permission: no fault (the TLB had missed).
   * 2. Not visible: no memslot, a write to a read-only slot, a private GFN
   *    through the shared alias (`KVM_PFN_NOSLOT`), a shared GFN through TDX's
   *    private alias (KVM_EXIT_MEMORY_FAULT): exit. arm64 exec of Device memory
   *    or outside any memslot: an abort injected (`faults_abort`).
   * 3. Under the mmu_lock (`kvm_fault_lock`): present without the permission is a
   *    permission fault (`fixPermission`, `faults_permission`); missing is
   *    mapped at the level the fault path chooses (`pf_fixed`, `faults_missing`).
   * 4. A fault that found the work done by another vCPU, or lost a cmpxchg,
   *    is spurious (`faults_spurious`): the guest re-executes, from step 1.
   */
  translate(rawGfn: number, kind: AccessKind, vcpu: VcpuStats): number {
    const gfn = this.stolenAny ? this.options.stolen.strip(rawGfn) : rawGfn;
    const alias = gfn === rawGfn ? ALIAS_PLAIN : ALIAS_STOLEN;
    const table = this.tables[alias];
    const word = table.lookup(gfn);
    // The walk sets the leaf's accessed flag (hardware AF/EPT A bit), or takes an access-flag fault (aging.ts).
    if (word !== 0 && this.accessed.anyOld) walkReachesLeaf(this, alias, gfn, table.lookupLevel, vcpu);
    if (word !== 0 && (word & PERMS_FOR[kind]) !== 0) {
      this.translatedLevel = table.lookupLevel;
      return word;
    }
    const slot = this.memslots.find(gfn);
    const isPrivate = slot !== undefined && this.isPrivate(slot, gfn);
    // arm64 exec outside any memslot (kvm_handle_guest_abort: is_iabt) or of Device memory (user_mem_abort:
    // exec_fault && s2_force_noncacheable): -ENOEXEC, an abort injected (kvm_inject_sea_iabt), no exit.
    if (kind === AccessKind.Exec && this.execAbortsOutsideRam && (slot === undefined || slot.pfnmap === 'device')) {
      vcpu.faults_abort++;
      return 0;
    }
    if (
      slot === undefined ||
      (kind === AccessKind.Write && slot.readOnly) ||
      (alias === ALIAS_STOLEN && isPrivate) ||
      (alias === ALIAS_PLAIN && !isPrivate && this.sharedNeedsSharedAlias)
    ) {
      vcpu.faults_mmio++;
      return 0;
    }
    return this.fault(gfn, alias, slot, kind, isPrivate, word, vcpu);
  }

  /**
   * Steps 3 and 4 of `translate` for a visible GFN whose leaf `word` (0: none)
   * lacks the permission: fault, and again while the fault was spurious and
   * the walk still fails (`faultAgain`). Kept apart so that `translate`'s walk
   * stays small. Without a lock to take or a pKVM mirror to call (the
   * deterministic replay on x86 and arm64), the attempt is `attempt`'s two
   * calls written out here, without `faultOnce`'s hooks: V8 then inlines the
   * common case, a missing 4K leaf, into this frame (a missed inlining cost
   * the fault-heavy bench about 15%).
   */
  private fault(gfn: number, alias: number, slot: Memslot, kind: AccessKind, isPrivate: boolean, word: number, vcpu: VcpuStats): number {
    const permission = word !== 0;
    // One thread and no pKVM mirror: no lock to take, nothing before or after (faultOnce without its hooks).
    const fixed = this.faultHooks
      ? this.faultOnce(gfn, alias, slot, kind, isPrivate, permission, vcpu)
      : permission
        ? this.fixPermission(gfn, alias, slot, kind, isPrivate)
        : this.mapFaultAt(gfn, alias, slot, kind, isPrivate, Level.L1G, 0, Level.L4K);
    if (fixed > 0) return countFixed(vcpu, permission, fixed);
    return this.faultAgain(gfn, alias, slot, kind, isPrivate, vcpu);
  }

  /** Step 4 of `translate` after a spurious fault: the walk again, and another fault while it still fails. */
  private faultAgain(gfn: number, alias: number, slot: Memslot, kind: AccessKind, isPrivate: boolean, vcpu: VcpuStats): number {
    const table = this.tables[alias];
    const need = PERMS_FOR[kind];
    for (let attempt = 1; ; attempt++) {
      vcpu.faults_spurious++;
      const word = table.lookup(gfn);
      if (word !== 0 && (word & need) !== 0) {
        this.translatedLevel = table.lookupLevel;
        return word;
      }
      if (attempt >= MAX_FAULTS_PER_ACCESS) throw new Error(`gfn 0x${gfn.toString(16)} still not mapped after ${attempt} faults`);
      const permission = word !== 0;
      const fixed = this.faultOnce(gfn, alias, slot, kind, isPrivate, permission, vcpu);
      if (fixed > 0) return countFixed(vcpu, permission, fixed);
    }
  }

  /**
   * One attempt under the mmu_lock as `kvm_fault_lock` takes it (write on a pKVM host, read elsewhere); pKVM
   * tops up the hyp memcache before, counts -EAGAIN and the refill after (`HypercallMirror.before/afterFault`).
   */
  private faultOnce(gfn: number, alias: number, slot: Memslot, kind: AccessKind, isPrivate: boolean, permission: boolean, vcpu: VcpuStats): number {
    const mirror = this.mirror;
    mirror?.beforeFault(vcpu, !permission || (slot.dirtyLogging && kind === AccessKind.Write));
    const fixed =
      this.lock === NO_MMU_LOCK
        ? this.attempt(gfn, alias, slot, kind, isPrivate, permission)
        : this.lockedAttempt(gfn, alias, slot, kind, isPrivate, permission);
    mirror?.afterFault(vcpu, !permission && fixed === MAP_SPURIOUS, this.tables[alias].tablesLinked);
    return fixed;
  }

  /** `attempt` under the mmu_lock (per-vCPU mode): a lock in shared memory, released whatever happens. */
  private lockedAttempt(gfn: number, alias: number, slot: Memslot, kind: AccessKind, isPrivate: boolean, permission: boolean): number {
    const write = this.faultTakesWriteLock;
    if (write) this.lock.writeLock();
    else this.lock.readLock();
    try {
      return this.attempt(gfn, alias, slot, kind, isPrivate, permission);
    } finally {
      if (write) this.lock.writeUnlock();
      else this.lock.readUnlock();
    }
  }

  /**
   * The fault's change of the table: add the permission a present leaf
   * lacks, or map a missing leaf (the walk found none, the table is as
   * `mapFaultAt` would find it). The fixed leaf word, or `MAP_SPURIOUS`/`MAP_RETRY`.
   */
  private attempt(gfn: number, alias: number, slot: Memslot, kind: AccessKind, isPrivate: boolean, permission: boolean): number {
    return permission ? this.fixPermission(gfn, alias, slot, kind, isPrivate) : this.mapFaultAt(gfn, alias, slot, kind, isPrivate, Level.L1G, 0, Level.L4K);
  }

  /**
   * A present leaf (level in its table's `lookupLevel`) lacks the permission
   * `kind` needs. Returns the fixed leaf word, or `MAP_SPURIOUS`/`MAP_RETRY`.
   * - dirty logging and a huge leaf: x86 splits it to 4K keeping every page
   *   mapped (`tdp_mmu_split_huge_page`); arm64 breaks the block and maps only
   *   the faulting page (break-before-make in `stage2_map_walker`);
   * - exec of a huge leaf under NX huge pages: split to 4K, flagging the new
   *   tables (`disallowed_hugepage_adjust`, `nx_lpage_splits`);
   * - otherwise the permission is added in place (`fast_page_fault`,
   *   arm64 `kvm_pgtable_stage2_relax_perms`).
   */
  fixPermission(gfn: number, alias: number, slot: Memslot, kind: AccessKind, isPrivate: boolean): number {
    const table = this.tables[alias];
    let level = table.lookupLevel;
    const mustSplit = (slot.dirtyLogging && kind === AccessKind.Write) || (kind === AccessKind.Exec && this.nxHugePages);
    if (mustSplit && level > Level.L4K) {
      // arm64: the fault breaks the block and maps the page alone (the table as the fault's walk found it).
      if (!this.splitPreservesMappings) return this.mapFaultAt(gfn, alias, slot, kind, isPrivate, Level.L1G, table.lookup(gfn), table.lookupLevel);
      const nx = kind === AccessKind.Exec;
      for (; level > Level.L4K; level--) {
        if (table.split(gfn, level, nx) !== MAP_FIXED) return MAP_RETRY;
        this.stats.mmu_pages++;
        if (nx) this.stats.nx_lpage_splits++;
      }
    }
    const status = table.relax(gfn, PERMS_FOR[kind]);
    if (status !== MAP_FIXED) return status;
    if (slot.dirtyLogging && (table.relaxedWord & PERM_WRITE) !== 0) this.dirtyLog.markDirty(slot, gfn);
    this.translatedLevel = table.lookupLevel;
    return table.relaxedWord;
  }

  /** Split the leaf holding `gfn` from `fromLevel` down to `toLevel`, keeping every page mapped; false when a split lost a race (shared store). */
  splitTo(gfn: number, alias: number, fromLevel: Level, toLevel: Level): boolean {
    for (let level = fromLevel; level > toLevel; level--) {
      if (this.tables[alias].split(gfn, level) !== MAP_FIXED) return false;
      this.stats.mmu_pages++;
    }
    return true;
  }

  /** Level a fault would pick for `gfn` of `slot`, without counting clamps (for host-side decisions). */
  faultLevelQuiet(slot: Memslot, gfn: number): Level {
    return this.newLeaf.levelQuiet(slot, gfn, this.isPrivate(slot, gfn));
  }

  /**
   * Map `gfn` for a fault of `kind` at the level the fault path chooses (at
   * most `levelCap`), the caller holding the mmu_lock for read and having
   * looked `gfn` up in the alias's table (changing nothing since): `existing`
   * is the leaf word found (0: none), at `existingLevel`
   * (`PageTable.lookupLevel` after that lookup). Pre-fault steps take this
   * path as a read fault. Returns the leaf word (level in `translatedLevel`),
   * or `MAP_SPURIOUS` (already mapped there) / `MAP_RETRY`.
   */
  mapFaultAt(gfn: number, alias: number, slot: Memslot, kind: AccessKind, isPrivate: boolean, levelCap: Level, existing: number, existingLevel: Level): number {
    const table = this.tables[alias];
    let level = this.newLeaf.level(slot, gfn, isPrivate);
    if (level > levelCap) level = levelCap;
    let nxReqLevel = 0 as Level;
    if (this.nxHugePages && level > Level.L4K) {
      if (kind === AccessKind.Exec) {
        nxReqLevel = level;
        level = Level.L4K;
      } else {
        level = table.nxAdjustedLevel(gfn, level);
      }
    }
    // A leaf above the target level (dirty logging, NX, a smaller pre-fault
    // level): x86 splits it keeping its pages (tdp_mmu_split_huge_page), arm64
    // breaks the block first (break-before-make), then the page is mapped.
    if (existing !== 0 && existingLevel > level) {
      if (this.splitPreservesMappings) {
        if (!this.splitTo(gfn, alias, existingLevel, level)) return MAP_RETRY;
      } else {
        // Breaking a block is one single-IPA TLBI (`stage2_try_break_pte` -> `__kvm_tlb_flush_vmid_ipa`).
        const first = alignGfnDown(gfn, existingLevel);
        zapLeaves(this, first, first + 1, alias, FlushOrigin.Ipa, ZAP_ALL);
      }
    }
    const word = makeLeaf(this.newLeaf.bits(slot, kind, isPrivate, level));
    const status = table.map(gfn, level, word, nxReqLevel);
    if (table.tablesLinked !== 0) {
      this.stats.mmu_pages += table.tablesLinked;
      this.stats.nx_lpage_splits += table.nxTablesCreated;
    }
    if (status !== MAP_FIXED) return status === MAP_RETRY ? MAP_RETRY : MAP_SPURIOUS;
    // A writable leaf in a logged slot logs its page at once (mark_page_dirty_in_slot).
    if (slot.dirtyLogging && (word & PERM_WRITE) !== 0) this.dirtyLog.markDirty(slot, gfn);
    // Replacing a table of smaller leaves by a huge leaf drops their translations.
    if (table.replacedTable) {
      const first = alignGfnDown(gfn, level);
      this.flushSink.requestFlush(first, first + pagesPerLevel(level), alias, FlushOrigin.Range);
    }
    this.translatedLevel = level;
    return word;
  }

  /** KVM_SET_USER_MEMORY_REGION creating a slot; the arch refuses what its KVM refuses. */
  addSlot(slot: Memslot): void {
    this.options.profile.checkSlot(slot, this.options.fwb && this.options.dic, this.options.refuseCowPfnmap);
    const noLogging = slot.dirtyLogging ? dirtyLogRefusal(slot) : undefined;
    if (noLogging !== undefined) throw new MemslotError(`memslot ${slot.id}: ${noLogging}`);
    const lastGfn = slot.baseGfn + slot.npages - 1;
    if (this.options.stolen.any && this.options.stolen.strip(lastGfn) !== lastGfn) {
      throw new MemslotError(`memslot ${slot.id} reaches GPA bit ${this.options.stolen.lowestGpaBit}, a stolen bit`);
    }
    this.memslots.add(slot);
    if (slot.private) this.hasPrivateSlot = true;
  }

  /** `kvm_memslot_flush_zap_all()`: deleting or moving a memslot zaps every mapping (hostEvents.ts `flushShadowMemslot`). */
  slotFlushZapsAll(): boolean {
    return this.options.slotZapAll && !this.hasPrivateSlot;
  }

  /** End of the VM's life: pKVM unshares every mapping (`pkvm_pgtable_stage2_destroy`). */
  destroy(): void {
    this.mirror?.destroy();
  }
}
