/**
 * The VM's stage-2 MMU: memslots and the stage-2 table, with KVM's fault path,
 * KVM_PRE_FAULT_MEMORY and the host-side events. It never sees a trace or a
 * TLB: TLB flushes leave through `FlushSink`, counts through the stats objects.
 */
import { Level, PAGE_SIZE_BYTES, alignGfnDown, pagesPerLevel } from './level.js';
import { PageTable, type LeafChangeListener } from './pageTable.js';
import { MemslotSet, MemslotError, type Memslot } from './memslots.js';
import { maxMappingLevel } from './mappingLevel.js';
import { PERM_EXEC, PERM_READ, PERM_WRITE, makeLeaf } from './entry.js';
import { VmStats, type VcpuStats } from './stats.js';
import { GPA_LIMIT, gpaToGfn } from './address.js';

/** Receives the TLB flush requests KVM would issue, with their GFN range. */
export interface FlushSink {
  requestFlush(startGfn: number, endGfn: number): void;
}

/** Access kinds a fault can be taken for. */
export const enum AccessKind {
  Read = 1,
  Write = 2,
  Exec = 3,
}

/** Errno values KVM_PRE_FAULT_MEMORY returns (negated, as the kernel does). */
export const EINVAL = 22;
export const ENOENT = 2;

/** Result of one KVM_PRE_FAULT_MEMORY ioctl: 0 or -errno, and the range left. */
export interface PrefaultCall {
  result: number;
  gpa: number;
  sizeBytes: number;
}

/** Options of the model fixed per scenario. */
export interface VmOptions {
  /** Largest leaf level a fault may use (`--max-level`). */
  maxLevel: Level;
}

const PERMS_FOR: readonly number[] = [0, PERM_READ, PERM_WRITE, PERM_EXEC];

export class Vm implements LeafChangeListener {
  readonly memslots = new MemslotSet();
  readonly pageTable: PageTable;
  readonly stats = new VmStats();
  /** Level of the leaf returned by the last `translate`. */
  translatedLevel: Level = Level.L4K;

  constructor(
    private readonly options: VmOptions,
    private readonly flushSink: FlushSink,
  ) {
    this.pageTable = new PageTable(Level.L512G);
    this.pageTable.listener = this;
  }

  /** Keeps `pages_*` equal to the leaves present (the page table's only report). */
  onLeafChange(_gfn: number, level: Level, oldWord: number, newWord: number): void {
    const delta = (newWord !== 0 ? 1 : 0) - (oldWord !== 0 ? 1 : 0);
    if (level === Level.L4K) this.stats.pages_4k += delta;
    else if (level === Level.L2M) this.stats.pages_2m += delta;
    else this.stats.pages_1g += delta;
  }

  /** 4 KiB frames mapped now, at every level. */
  mappedFrames(): number {
    const s = this.stats;
    return s.pages_4k + s.pages_2m * pagesPerLevel(Level.L2M) + s.pages_1g * pagesPerLevel(Level.L1G);
  }

  /**
   * Translate `gfn` for an access of `kind`, taking the stage-2 fault KVM
   * would take when the mapping is missing or lacks the permission. Returns
   * the leaf word (its level in `translatedLevel`), or 0 when the access exits
   * to userspace (MMIO). Follows `kvm_tdp_page_fault` / `kvm_tdp_mmu_map`.
   *
   * 1. Present with the permission: no fault (the TLB had missed).
   * 2. No memslot, or a write to a read-only slot: MMIO exit.
   * 3. Present without the permission (write-protected): permission fault,
   *    fixed in place; under dirty logging a huge leaf is first split to 4K
   *    (`fast_page_fault` refuses huge leaves there, the slow path splits).
   * 4. Missing: map at `maxMappingLevel` (`pf_fixed`).
   */
  translate(gfn: number, kind: AccessKind, vcpu: VcpuStats): number {
    const table = this.pageTable;
    const need = PERMS_FOR[kind];
    let word = table.lookup(gfn);
    if (word !== 0 && (word & need) !== 0) {
      this.translatedLevel = table.lookupLevel;
      return word;
    }
    const slot = this.memslots.find(gfn);
    if (slot === undefined || (kind === AccessKind.Write && slot.readOnly)) {
      vcpu.faults_mmio++;
      return 0;
    }
    if (word !== 0) {
      vcpu.faults_permission++;
      let level = table.lookupLevel;
      while (slot.dirtyLogging && level > Level.L4K) {
        table.split(gfn, level);
        this.stats.mmu_pages++;
        level--;
      }
      word |= need;
      table.updateLeaf(gfn, level, word);
      this.translatedLevel = level;
      return word;
    }
    vcpu.faults_missing++;
    return this.mapFault(gfn, slot, kind);
  }

  /**
   * One KVM_PRE_FAULT_MEMORY ioctl on [gpa, gpa + sizeBytes)
   * (`kvm_vcpu_pre_fault_memory`, `kvm_arch_vcpu_pre_fault_memory`):
   *
   * 1. EINVAL when gpa or size is not 4 KiB aligned, size is 0, or the range
   *    overflows.
   * 2. Each step takes a read fault at gpa through the fault path, which picks
   *    the level, then advances to the end of that mapping:
   *    `min(size, end of the level-aligned frame - gpa)`; so a step may map
   *    memory outside the request.
   * 3. A GPA outside every memslot stops with ENOENT (`RET_PF_EMULATE`).
   * 4. Returns 0 if any progress was made, else the step's error; the range
   *    left is returned for the caller's loop.
   */
  preFault(gpa: number, sizeBytes: number, vcpu: VcpuStats): PrefaultCall {
    vcpu.prefault_calls++;
    if (gpa % PAGE_SIZE_BYTES !== 0 || sizeBytes % PAGE_SIZE_BYTES !== 0 || sizeBytes <= 0 || gpa + sizeBytes > GPA_LIMIT) {
      vcpu.prefault_errors++;
      return { result: -EINVAL, gpa, sizeBytes };
    }
    const framesBefore = this.mappedFrames();
    const fullSize = sizeBytes;
    let result = 0;
    while (sizeBytes > 0) {
      const gfn = gpaToGfn(gpa);
      const slot = this.memslots.find(gfn);
      if (slot === undefined) {
        result = -ENOENT;
        break;
      }
      let level: Level;
      const word = this.pageTable.lookup(gfn);
      const wanted = maxMappingLevel(slot, gfn, this.options.maxLevel);
      if (word !== 0 && this.pageTable.lookupLevel === wanted) {
        level = wanted; // RET_PF_SPURIOUS: already mapped at the fault path's level
      } else {
        this.mapFault(gfn, slot, AccessKind.Read);
        level = this.translatedLevel;
      }
      const endGpa = (alignGfnDown(gfn, level) + pagesPerLevel(level)) * PAGE_SIZE_BYTES;
      const advance = Math.min(sizeBytes, endGpa - gpa);
      gpa += advance;
      sizeBytes -= advance;
    }
    vcpu.prefault_pages += this.mappedFrames() - framesBefore;
    if (sizeBytes === fullSize) {
      vcpu.prefault_errors++;
      return { result, gpa, sizeBytes };
    }
    return { result: 0, gpa, sizeBytes };
  }

  /**
   * Host invalidation of [startGfn, endGfn) (`kvm_unmap_gfn_range`): zap every
   * overlapping leaf, a huge leaf partly covered as a whole, then one flush.
   */
  unmap(startGfn: number, endGfn: number): void {
    this.zapLeaves(startGfn, endGfn, () => true);
  }

  /** Remove write permission from every leaf overlapping the range, then flush. */
  writeProtect(startGfn: number, endGfn: number): void {
    let first = Infinity;
    let end = -Infinity;
    const table = this.pageTable;
    table.walkLeaves(startGfn, endGfn, (t, slot, level, gfn, word) => {
      if ((word & PERM_WRITE) === 0) return;
      table.setEntry(t, slot, level, gfn, word & ~PERM_WRITE);
      first = Math.min(first, gfn);
      end = Math.max(end, gfn + pagesPerLevel(level));
    });
    if (end > first) this.flushSink.requestFlush(first, end);
  }

  /** KVM_SET_USER_MEMORY_REGION creating a slot. */
  addSlot(slot: Memslot): void {
    this.memslots.add(slot);
  }

  /** Slot deletion zaps its mappings (`kvm_arch_flush_shadow_memslot`) and flushes. */
  deleteSlot(id: number): void {
    const slot = this.memslots.byId(id);
    this.unmap(slot.baseGfn, slot.baseGfn + slot.npages);
    this.memslots.remove(id);
  }

  /**
   * KVM_MEM_LOG_DIRTY_PAGES on or off (`kvm_mmu_slot_apply_flags`). On:
   * write-protect the slot (`kvm_mmu_slot_remove_write_access`); new mappings
   * are then 4K. Off: zap the 4K/2M leaves that could now be larger
   * (`kvm_mmu_zap_collapsible_sptes`), so the next fault maps them huge.
   */
  setDirtyLogging(id: number, enabled: boolean): void {
    const slot = this.memslots.byId(id);
    if (slot.dirtyLogging === enabled) {
      throw new MemslotError(`dirty logging is already ${enabled ? 'on' : 'off'} for memslot ${id}`);
    }
    slot.dirtyLogging = enabled;
    const start = slot.baseGfn;
    const end = slot.baseGfn + slot.npages;
    if (enabled) this.writeProtect(start, end);
    else {
      const maxLevel = this.options.maxLevel;
      this.zapLeaves(start, end, (gfn, level) => maxMappingLevel(slot, gfn, maxLevel) > level);
    }
  }

  /** Map `gfn` for a fault of `kind` at the level the fault path chooses. */
  private mapFault(gfn: number, slot: Memslot, kind: AccessKind): number {
    const level = maxMappingLevel(slot, gfn, this.options.maxLevel);
    // A read fault under dirty logging maps read-only so the first write is logged.
    const writable = !slot.readOnly && (!slot.dirtyLogging || kind === AccessKind.Write);
    const word = makeLeaf(PERM_READ | PERM_EXEC | (writable ? PERM_WRITE : 0));
    const replaced = this.mappedFrames();
    this.stats.mmu_pages += this.pageTable.map(gfn, level, word);
    // Replacing a table of smaller leaves by a huge leaf drops their translations.
    if (this.mappedFrames() - replaced < pagesPerLevel(level)) {
      const first = alignGfnDown(gfn, level);
      this.flushSink.requestFlush(first, first + pagesPerLevel(level));
    }
    this.translatedLevel = level;
    return word;
  }

  private zapLeaves(startGfn: number, endGfn: number, shouldZap: (gfn: number, level: Level) => boolean): void {
    let first = Infinity;
    let end = -Infinity;
    const table = this.pageTable;
    table.walkLeaves(startGfn, endGfn, (t, slot, level, gfn) => {
      if (!shouldZap(gfn, level)) return;
      table.setEntry(t, slot, level, gfn, 0);
      first = Math.min(first, gfn);
      end = Math.max(end, gfn + pagesPerLevel(level));
    });
    if (end > first) this.flushSink.requestFlush(first, end);
  }
}
