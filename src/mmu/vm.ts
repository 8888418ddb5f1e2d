/**
 * The VM's stage-2 MMU: memslots, one stage-2 table per GPA alias, memory
 * attributes and the arch profile, with KVM's fault path and the host-side
 * events. It never sees a trace or a TLB: TLB flushes leave through
 * `FlushSink`, counts through the stats objects.
 */
import { Level, alignGfnDown, pagesPerLevel } from './level.js';
import { PageTable, type LeafChangeListener } from './pageTable.js';
import { MemslotSet, MemslotError, type Memslot } from './memslots.js';
import { maxMappingLevel } from './mappingLevel.js';
import { ATTR_DEVICE, ATTR_PRIVATE, PERM_EXEC, PERM_READ, PERM_WRITE, makeLeaf } from './entry.js';
import { VmStats, type VcpuStats } from './stats.js';
import { MemoryAttributes } from './memoryAttributes.js';
import type { StolenBits } from './stolenBits.js';
import type { ArchProfile } from './arch/archProfile.js';
import { HypercallMirror } from './pkvm/hypercallMirror.js';
import { DirtyLog } from './dirtyLog.js';

/**
 * Which KVM call a flush request stands for: the generic
 * `kvm_flush_remote_tlbs` that the MMU-notifier and memslot-zap paths issue
 * (always a full flush on x86; arm64's stage-2 unmap has already issued its own
 * range TLBI), or `kvm_flush_remote_tlbs_range` (write-protection, splits,
 * collapses), which an arch with a range flush can honour.
 */
export const enum FlushOrigin {
  Generic = 0,
  Range = 1,
}

/** Receives the TLB flush requests KVM would issue: GFN range, alias (0 plain, 1 stolen bits set) and origin. */
export interface FlushSink {
  requestFlush(startGfn: number, endGfn: number, alias: number, origin: FlushOrigin): void;
}

/** Access kinds a fault can be taken for; equal to the trace's `Op.R/W/X` values on purpose. */
export const enum AccessKind {
  Read = 1,
  Write = 2,
  Exec = 3,
}

/** What DIRTY_LOG_OFF does to the 4K mappings dirty logging left behind. */
export const DIRTY_LOG_OFF_POLICIES = ['auto', 'recover', 'zap', 'keep'] as const;
export type DirtyLogOffPolicy = (typeof DIRTY_LOG_OFF_POLICIES)[number];

/** Options of the model fixed per scenario (already resolved for the arch). */
export interface VmOptions {
  /** Largest leaf level a fault may use (`--max-level`). */
  maxLevel: Level;
  profile: ArchProfile;
  /** x86 NX huge pages mitigation (`nx_huge_pages`). */
  nxHugePages: boolean;
  /** Split huge pages to 4K when dirty logging is enabled (x86 `eager_page_split`). */
  eagerSplit: boolean;
  /** `recover`, `zap` or `keep` (never `auto` here). */
  dirtyLogOff: DirtyLogOffPolicy;
  stolen: StolenBits;
  /** arm64 stage-2 forced write-back. */
  fwb: boolean;
  /** Levels of the stage-2 table: 4 covers 48-bit GPAs, 5 covers 52-bit (x86 5-level EPT, arm64 LPA). */
  rootLevel: Level;
}

const PERMS_FOR: readonly number[] = [0, PERM_READ, PERM_WRITE, PERM_EXEC];
/** Alias indices: 0 = stolen bits clear (TDX private), 1 = stolen bits set (TDX shared). */
export const ALIAS_PLAIN = 0;
export const ALIAS_STOLEN = 1;
/** `zapLeaves` predicate that zaps every leaf visited (one function, not a closure per call). */
const ZAP_ALL = (): boolean => true;

/** The listener of one alias's table: `Vm.onLeafChange` with the alias (one object per table, no closure). */
class AliasLeafListener implements LeafChangeListener {
  constructor(
    private readonly vm: Vm,
    private readonly alias: number,
  ) {}

  onLeafChange(gfn: number, level: Level, oldWord: number, newWord: number): void {
    this.vm.onLeafChange(gfn, level, oldWord, newWord, this.alias);
  }
}

export class Vm implements LeafChangeListener {
  readonly memslots = new MemslotSet();
  /** One table per alias; `tables[1]` exists only with stolen bits. */
  readonly tables: PageTable[];
  readonly stats = new VmStats();
  readonly attributes = new MemoryAttributes();
  /** pKVM's host-side mirror of the mappings, when the arch has one. */
  readonly mirror: HypercallMirror | undefined;
  /** Level of the leaf returned by the last `translate`. */
  translatedLevel: Level = Level.L4K;
  /** Dirty bitmaps of the slots under dirty logging (dirtyLog.ts). */
  readonly dirtyLog = new DirtyLog();

  /** Arch-profile and option decisions of the fault path, fixed per scenario (no string compare per fault). */
  private readonly stolenAny: boolean;
  private readonly tdx: boolean;
  private readonly arm64: boolean;
  private readonly nxHugePages: boolean;
  private readonly splitPreservesMappings: boolean;
  private readonly maxLevel: Level;
  private readonly maxSharedLevel: Level;
  private readonly maxPrivateLevel: Level;

  constructor(
    readonly options: VmOptions,
    private readonly flushSink: FlushSink,
  ) {
    this.stolenAny = options.stolen.any;
    this.tdx = options.profile.name === 'x86-tdx';
    this.arm64 = options.profile.family === 'arm64';
    this.nxHugePages = options.nxHugePages;
    this.splitPreservesMappings = options.profile.splitPreservesMappings;
    this.maxLevel = options.maxLevel;
    this.maxSharedLevel = options.profile.maxSharedLevel;
    this.maxPrivateLevel = options.profile.maxPrivateLevel;
    this.mirror = options.profile.hypercallMirror ? new HypercallMirror(this.stats) : undefined;
    this.tables = [new PageTable(options.rootLevel)];
    if (options.stolen.any) this.tables.push(new PageTable(options.rootLevel));
    this.tables.forEach((table, alias) => {
      table.listener = new AliasLeafListener(this, alias);
    });
  }

  /** Keeps `pages_*` equal to the leaves present, and the pKVM mirror in step. */
  onLeafChange(gfn: number, level: Level, oldWord: number, newWord: number, alias = ALIAS_PLAIN): void {
    if (oldWord !== 0) this.stats.countLeaf(level, oldWord, -1);
    if (newWord !== 0) this.stats.countLeaf(level, newWord, 1);
    if (this.mirror !== undefined) this.mirror.onLeafChange(gfn, level, oldWord, newWord, alias);
  }

  /** 4 KiB frames mapped now, at every level and alias. */
  mappedFrames(): number {
    const s = this.stats;
    return s.pages_4k + s.pages_2m * pagesPerLevel(Level.L2M) + s.pages_1g * pagesPerLevel(Level.L1G);
  }

  /** True when `gfn` of `slot` has the private attribute (guest_memfd slots start private). */
  isPrivate(slot: Memslot, gfn: number): boolean {
    return slot.private && (this.attributes.get(gfn) ?? true);
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
   *    private alias (KVM_EXIT_MEMORY_FAULT), exec of device memory: exit.
   * 3. Present without the permission: permission fault (`fixPermission`).
   * 4. Missing: map at the level the fault path chooses (`pf_fixed`).
   */
  translate(rawGfn: number, kind: AccessKind, vcpu: VcpuStats): number {
    const gfn = this.stolenAny ? this.options.stolen.strip(rawGfn) : rawGfn;
    const alias = gfn === rawGfn ? ALIAS_PLAIN : ALIAS_STOLEN;
    const table = this.tables[alias];
    const word = table.lookup(gfn);
    if (word !== 0 && (word & PERMS_FOR[kind]) !== 0) {
      this.translatedLevel = table.lookupLevel;
      return word;
    }
    const slot = this.memslots.find(gfn);
    const isPrivate = slot !== undefined && this.isPrivate(slot, gfn);
    if (
      slot === undefined ||
      (kind === AccessKind.Write && slot.readOnly) ||
      (kind === AccessKind.Exec && slot.pfnmap === 'device') ||
      (alias === ALIAS_STOLEN && isPrivate) ||
      (alias === ALIAS_PLAIN && !isPrivate && this.tdx)
    ) {
      vcpu.faults_mmio++;
      return 0;
    }
    if (word !== 0) {
      vcpu.faults_permission++;
      return this.fixPermission(gfn, alias, slot, kind, word, isPrivate);
    }
    vcpu.faults_missing++;
    // The walk above found no leaf: the table is as `mapAt` would find it.
    return this.mapAt(gfn, alias, slot, kind, isPrivate, Level.L1G, 0, Level.L4K);
  }

  /**
   * A present leaf lacks the permission `kind` needs:
   * - dirty logging and a huge leaf: x86 splits it to 4K keeping every page
   *   mapped (`tdp_mmu_split_huge_page`); arm64 breaks the block and maps only
   *   the faulting page (break-before-make in `stage2_map_walker`);
   * - exec of a huge leaf under NX huge pages: split to 4K, flagging the new
   *   tables (`disallowed_hugepage_adjust`, `nx_lpage_splits`);
   * - otherwise the permission is added in place (`fast_page_fault`,
   *   arm64 `kvm_pgtable_stage2_relax_perms`).
   */
  private fixPermission(gfn: number, alias: number, slot: Memslot, kind: AccessKind, word: number, isPrivate: boolean): number {
    const table = this.tables[alias];
    let level = table.lookupLevel;
    const mustSplit = (slot.dirtyLogging && kind === AccessKind.Write) || (kind === AccessKind.Exec && this.options.nxHugePages);
    if (mustSplit && level > Level.L4K) {
      // arm64: mapFault breaks the block and maps the page alone.
      if (!this.options.profile.splitPreservesMappings) return this.mapFault(gfn, alias, slot, kind, isPrivate);
      const nx = kind === AccessKind.Exec;
      for (; level > Level.L4K; level--) {
        table.split(gfn, level, nx);
        this.stats.mmu_pages++;
        if (nx) this.stats.nx_lpage_splits++;
      }
    }
    const fixed = word | PERMS_FOR[kind];
    table.updateLeaf(gfn, level, fixed);
    if (slot.dirtyLogging && (fixed & PERM_WRITE) !== 0) this.dirtyLog.markDirty(slot, gfn);
    this.translatedLevel = level;
    return fixed;
  }

  /** Split the leaf holding `gfn` from `fromLevel` down to `toLevel`, keeping every page mapped. */
  splitTo(gfn: number, alias: number, fromLevel: Level, toLevel: Level): void {
    for (let level = fromLevel; level > toLevel; level--) {
      this.tables[alias].split(gfn, level);
      this.stats.mmu_pages++;
    }
  }

  /**
   * Level the fault path picks for `gfn`: `maxMappingLevel` capped by the
   * arch (pKVM 4K/2M, TDX private 4K), counting arch clamps.
   */
  faultLevel(slot: Memslot, gfn: number, isPrivate: boolean): Level {
    const allowed = maxMappingLevel(slot, gfn, this.maxLevel, isPrivate);
    const archMax = isPrivate ? this.maxPrivateLevel : this.maxSharedLevel;
    if (allowed > archMax) {
      this.stats.level_clamps++;
      return archMax;
    }
    return allowed;
  }

  /**
   * Map `gfn` for a fault of `kind` at the level the fault path chooses.
   * Exported for pre-fault, which takes the same path as a read fault.
   */
  mapFault(gfn: number, alias: number, slot: Memslot, kind: AccessKind, isPrivate: boolean, levelCap: Level = Level.L1G): number {
    const table = this.tables[alias];
    const existing = table.lookup(gfn);
    return this.mapAt(gfn, alias, slot, kind, isPrivate, levelCap, existing, table.lookupLevel);
  }

  /** `mapFault` once the leaf holding `gfn` is known: `existing` (0: none) at `existingLevel`. */
  private mapAt(
    gfn: number,
    alias: number,
    slot: Memslot,
    kind: AccessKind,
    isPrivate: boolean,
    levelCap: Level,
    existing: number,
    existingLevel: Level,
  ): number {
    const table = this.tables[alias];
    let level = this.faultLevel(slot, gfn, isPrivate);
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
      if (this.splitPreservesMappings) this.splitTo(gfn, alias, existingLevel, level);
      else {
        const first = alignGfnDown(gfn, existingLevel);
        this.zapLeaves(first, first + 1, alias, FlushOrigin.Range, ZAP_ALL);
      }
    }
    // Under dirty logging x86 maps a read fault writable and logs the page at
    // once (make_spte -> mark_page_dirty_in_slot); arm64 maps it read-only so
    // the first write faults (user_mem_abort: logging_active && !write_fault).
    // arm64 maps executable only on exec faults; NX huge pages keep huge leaves non-executable.
    const arm64 = this.arm64;
    const writable = !slot.readOnly && (!slot.dirtyLogging || kind === AccessKind.Write || !arm64);
    const exec = arm64 ? kind === AccessKind.Exec : !(this.nxHugePages && level > Level.L4K);
    const attrs = (isPrivate ? ATTR_PRIVATE : 0) | (slot.pfnmap === 'device' ? ATTR_DEVICE : 0);
    const word = makeLeaf(PERM_READ | (writable ? PERM_WRITE : 0) | (exec ? PERM_EXEC : 0) | attrs);
    const allocated = table.map(gfn, level, word, nxReqLevel);
    if (writable && slot.dirtyLogging) this.dirtyLog.markDirty(slot, gfn);
    if (allocated !== 0) {
      this.stats.mmu_pages += allocated;
      this.stats.nx_lpage_splits += table.nxTablesCreated;
    }
    // Replacing a table of smaller leaves by a huge leaf drops their translations.
    if (table.replacedTable) {
      const first = alignGfnDown(gfn, level);
      this.flushSink.requestFlush(first, first + pagesPerLevel(level), alias, FlushOrigin.Range);
    }
    this.translatedLevel = level;
    return word;
  }

  /**
   * Host invalidation of [startGfn, endGfn) in every alias
   * (`kvm_unmap_gfn_range`): zap every overlapping leaf, a huge leaf partly
   * covered as a whole, then one flush per alias touched.
   */
  unmap(startGfn: number, endGfn: number): void {
    for (let alias = 0; alias < this.tables.length; alias++) this.zapLeaves(startGfn, endGfn, alias, FlushOrigin.Generic, ZAP_ALL);
  }

  /** Remove write permission from every leaf overlapping the range, then flush. */
  writeProtect(startGfn: number, endGfn: number): void {
    for (let alias = 0; alias < this.tables.length; alias++) {
      let first = Infinity;
      let end = -Infinity;
      const table = this.tables[alias];
      table.walkLeaves(startGfn, endGfn, (t, slot, level, gfn, word) => {
        if ((word & PERM_WRITE) === 0) return;
        table.setEntry(t, slot, level, gfn, word & ~PERM_WRITE);
        first = Math.min(first, gfn);
        end = Math.max(end, gfn + pagesPerLevel(level));
      });
      if (end > first) this.flushSink.requestFlush(first, end, alias, FlushOrigin.Range);
    }
  }

  /** KVM_SET_USER_MEMORY_REGION creating a slot; the arch refuses what its KVM refuses. */
  addSlot(slot: Memslot): void {
    this.options.profile.checkSlot(slot, this.options.fwb);
    const lastGfn = slot.baseGfn + slot.npages - 1;
    if (this.options.stolen.any && this.options.stolen.strip(lastGfn) !== lastGfn) {
      throw new MemslotError(`memslot ${slot.id} reaches GPA bit ${this.options.stolen.lowestGpaBit}, a stolen bit`);
    }
    this.memslots.add(slot);
  }

  /** Slot deletion zaps its mappings (`kvm_arch_flush_shadow_memslot`) and flushes. */
  deleteSlot(id: number): void {
    const slot = this.memslots.byId(id);
    this.unmap(slot.baseGfn, slot.baseGfn + slot.npages);
    this.memslots.remove(id);
  }

  /**
   * KVM_SET_MEMORY_ATTRIBUTES (`kvm_vm_set_mem_attributes` ->
   * `kvm_arch_pre_set_memory_attributes`): zap the mappings the new attribute
   * makes wrong — with an alias, the shared alias when going private and the
   * private one when going shared; without one, the range.
   */
  setPrivate(startGfn: number, endGfn: number, isPrivate: boolean): void {
    this.attributes.set(startGfn, endGfn, isPrivate);
    const alias = this.tables.length === 1 || !isPrivate ? ALIAS_PLAIN : ALIAS_STOLEN;
    this.zapLeaves(startGfn, endGfn, alias, FlushOrigin.Generic, ZAP_ALL);
  }

  /**
   * KVM_MEM_LOG_DIRTY_PAGES on or off (`kvm_mmu_slot_apply_flags`).
   * On: with eager split, split huge leaves to 4K first
   * (`kvm_mmu_slot_try_split_huge_pages`), then write-protect the slot
   * (`kvm_mmu_slot_remove_write_access`); new mappings are then 4K.
   * Off: `recover` replaces tables by huge leaves in place
   * (`kvm_tdp_mmu_recover_huge_pages`, Linux 6.13+), `zap` zaps the
   * collapsible 4K/2M leaves so the next fault maps huge
   * (`kvm_mmu_zap_collapsible_sptes`, older kernels and the shadow MMU),
   * `keep` leaves them (arm64).
   */
  setDirtyLogging(id: number, enabled: boolean): void {
    const slot = this.memslots.byId(id);
    if (slot.dirtyLogging === enabled) {
      throw new MemslotError(`dirty logging is already ${enabled ? 'on' : 'off'} for memslot ${id}`);
    }
    this.dirtyLog.forget(slot);
    const start = slot.baseGfn;
    const end = slot.baseGfn + slot.npages;
    if (enabled) {
      if (this.options.eagerSplit) this.splitAll(start, end);
      slot.dirtyLogging = true;
      this.writeProtect(start, end);
      return;
    }
    slot.dirtyLogging = false;
    const policy = this.options.dirtyLogOff;
    for (let alias = 0; alias < this.tables.length; alias++) {
      if (policy === 'zap') {
        this.zapLeaves(start, end, alias, FlushOrigin.Range, (gfn, level) => this.faultLevelQuiet(slot, gfn) > level);
      } else if (policy === 'recover') {
        this.recoverHugePages(slot, alias);
      }
    }
  }

  /** End of the VM's life: pKVM unshares every mapping (`pkvm_pgtable_stage2_destroy`). */
  destroy(): void {
    this.mirror?.destroy();
  }

  /** Level a fault would pick, without counting clamps (for host-side decisions). */
  private faultLevelQuiet(slot: Memslot, gfn: number): Level {
    const isPrivate = this.isPrivate(slot, gfn);
    const allowed = maxMappingLevel(slot, gfn, this.options.maxLevel, isPrivate);
    const archMax = isPrivate ? this.options.profile.maxPrivateLevel : this.options.profile.maxSharedLevel;
    return allowed < archMax ? allowed : archMax;
  }

  private recoverHugePages(slot: Memslot, alias: number): void {
    const table = this.tables[alias];
    const start = slot.baseGfn;
    const end = slot.baseGfn + slot.npages;
    let first = Infinity;
    let last = -Infinity;
    for (const level of [Level.L1G, Level.L2M]) {
      table.walkTables(start, end, level, (gfn) => {
        if (this.faultLevelQuiet(slot, gfn) < level) return;
        const isPrivate = this.isPrivate(slot, gfn);
        const attrs = (isPrivate ? ATTR_PRIVATE : 0) | (slot.pfnmap === 'device' ? ATTR_DEVICE : 0);
        const exec = this.options.profile.family === 'x86' && !this.options.nxHugePages;
        const word = makeLeaf(PERM_READ | (slot.readOnly ? 0 : PERM_WRITE) | (exec ? PERM_EXEC : 0) | attrs);
        table.map(gfn, level, word);
        first = Math.min(first, gfn);
        last = Math.max(last, gfn + pagesPerLevel(level));
      });
    }
    if (last > first) this.flushSink.requestFlush(first, last, alias, FlushOrigin.Range);
  }

  private splitAll(start: number, end: number): void {
    if (!this.options.profile.canSplit) return;
    for (let alias = 0; alias < this.tables.length; alias++) {
      const table = this.tables[alias];
      const huge: number[] = [];
      table.walkLeaves(start, end, (_t, _s, level, gfn) => {
        if (level > Level.L4K) huge.push(gfn, level);
      });
      for (let i = 0; i < huge.length; i += 2) {
        const gfn = huge[i];
        const level = huge[i + 1] as Level;
        this.splitTo(gfn, alias, level, Level.L2M);
        if (level === Level.L1G) {
          // The 1G leaf became 512 2M leaves; split each of them too.
          for (let j = 0; j < 512; j++) this.splitTo(gfn + j * pagesPerLevel(Level.L2M), alias, Level.L2M, Level.L4K);
        } else {
          this.splitTo(gfn, alias, Level.L2M, Level.L4K);
        }
      }
    }
  }

  private zapLeaves(
    startGfn: number,
    endGfn: number,
    alias: number,
    origin: FlushOrigin,
    shouldZap: (gfn: number, level: Level) => boolean,
  ): void {
    let first = Infinity;
    let end = -Infinity;
    const table = this.tables[alias];
    table.walkLeaves(startGfn, endGfn, (t, slot, level, gfn) => {
      if (!shouldZap(gfn, level)) return;
      table.setEntry(t, slot, level, gfn, 0);
      first = Math.min(first, gfn);
      end = Math.max(end, gfn + pagesPerLevel(level));
    });
    if (end > first) this.flushSink.requestFlush(first, end, alias, origin);
  }
}
