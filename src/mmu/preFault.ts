/**
 * KVM_PRE_FAULT_MEMORY, one ioctl (`kvm_vcpu_pre_fault_memory` in
 * virt/kvm/kvm_main.c, `kvm_arch_vcpu_pre_fault_memory` and
 * `kvm_tdp_map_page` in arch/x86/kvm/mmu/mmu.c; selftest
 * pre_fault_memory_test.c), and the KVM_MAP_MEMORY RFC's answers under
 * `--prefault-policy exact` (seed 002: `kvm_vcpu_map_memory`,
 * `kvm_arch_vcpu_map_memory`, `kvm_mmu_map_page`).
 */
import { Level, PAGE_SIZE_BYTES, alignGfnDown, pagesPerLevel } from './level.js';
import { gfnToGpa, gpaToGfn } from './address.js';
import { ALIAS_PLAIN, ALIAS_STOLEN, MAX_FAULTS_PER_ACCESS, PERMS_FOR, type Vm } from './vm.js';
import { AccessKind } from './vmOptions.js';
import { MAP_SPURIOUS, type PageTable } from './pageTable.js';
import { PREFAULT_FLAG_PRIVATE, PREFAULT_FLAG_WRITE, prefaultAccess, type PrefaultAccess, type PrefaultFlags } from './preFaultFlags.js';
import type { Memslot } from './memslots.js';
import type { VcpuStats } from './stats.js';
import type { PrefaultFrames } from './prefaultFrames.js';

/** Errno values the ioctl returns (negated, as the kernel does). */
export const EINVAL = 22;
export const ENOENT = 2;
export const EFAULT = 14;
export const EAGAIN = 11;
/** `struct kvm_pre_fault_memory` has u64 `gpa` and `size`: their sum wraps at 2^64. */
const U64_LIMIT = 2 ** 64;

/**
 * `upstream`: merged KVM_PRE_FAULT_MEMORY — the fault path picks the level
 * (a step may map beyond the request), a hole is -ENOENT, partial progress
 * returns 0 with the range left. `exact` (seed 002, RFC KVM_MAP_MEMORY): the
 * level also fits the request — 1G only if the GFN is 1G-aligned and at
 * least 1 GiB remains, 2M likewise — so nothing outside the request is
 * mapped; a hole is -EFAULT, and an error after progress is -EAGAIN.
 */
export const PREFAULT_POLICIES = ['upstream', 'exact'] as const;
export type PrefaultPolicy = (typeof PREFAULT_POLICIES)[number];

/** How pre-faults are issued in a cell: the policy and the access flags (`auto`: merged KVM's). */
export interface PrefaultMode {
  policy: PrefaultPolicy;
  flags: PrefaultFlags;
}

/** Result of one ioctl: 0 or -errno, and the range left for the caller's loop. */
export interface PrefaultCall {
  result: number;
  gpa: number;
  sizeBytes: number;
}

/**
 * One ioctl on [gpa, gpa + sizeBytes) issued on a vCPU.
 *
 * 1. -EOPNOTSUPP where the arch or VM type has no pre-fault (pKVM protected VMs).
 * 2. -EINVAL when gpa or size is not 4 KiB aligned, or `gpa + size <= gpa`
 *    (size 0, or a range wrapping around 2^64); -EINVAL for a GPA with stolen
 *    bits (`kvm_is_gfn_alias`); -EINVAL for the PRIVATE flag on a VM without
 *    private memory (RFC `kvm_vcpu_map_memory`: `!kvm_arch_has_private_mem`).
 *    A range beyond 2^52 is no error here: its first step finds no memslot.
 * 3. Each step faults at gpa through the fault path (`preFaultOne`) and
 *    advances to the end of that mapping: `min(size, end of the
 *    level-aligned frame - gpa)`.
 * 4. A step that fails stops the call. `upstream`: 0 if any progress was
 *    made (the range left says where), else the step's error. `exact`:
 *    -EAGAIN if any progress was made (RFC: `if (added && nr_pages > 0) r =
 *    -EAGAIN`), else the step's error. Any nonzero result counts in
 *    `prefault_errors`.
 */
export function preFault(vm: Vm, gpa: number, sizeBytes: number, mode: PrefaultMode, vcpu: VcpuStats): PrefaultCall {
  vcpu.prefault_calls++;
  const fail = (result: number): PrefaultCall => {
    vcpu.prefault_errors++;
    return { result, gpa, sizeBytes };
  };
  if (vm.options.profile.preFaultResult !== 0) return fail(vm.options.profile.preFaultResult);
  // kvm_vcpu_pre_fault_memory: unaligned, or `gpa + size <= gpa` (empty or wrapping around u64). A range
  // beyond the address space is not -EINVAL: its first step finds no memslot.
  if (gpa % PAGE_SIZE_BYTES !== 0 || sizeBytes % PAGE_SIZE_BYTES !== 0 || sizeBytes <= 0 || gpa + sizeBytes >= U64_LIMIT) {
    return fail(-EINVAL);
  }
  const stolen = vm.options.stolen;
  if (stolen.any && stolen.strip(gpaToGfn(gpa)) !== gpaToGfn(gpa)) return fail(-EINVAL);
  if (mode.flags !== 'auto' && (mode.flags & PREFAULT_FLAG_PRIVATE) !== 0 && !hasPrivateMemory(vm)) return fail(-EINVAL);

  const framesBefore = vm.mappedFrames();
  const fullSize = sizeBytes;
  const newFrames = new NewFrames(vm.prefaulted);
  const access = prefaultAccess(mode.flags);
  // The steps count in frames (the range is 4 KiB aligned): [gfn, gfn + pagesLeft) is left.
  let gfn = gpaToGfn(gpa);
  let pagesLeft = sizeBytes / PAGE_SIZE_BYTES;
  let error = 0;
  while (pagesLeft > 0) {
    const level = preFaultOne(vm, gfn, pagesLeft, mode, access, newFrames);
    if (level < 0) {
      error = level;
      break;
    }
    const advance = Math.min(pagesLeft, alignGfnDown(gfn, level) + pagesPerLevel(level) - gfn);
    gfn += advance;
    pagesLeft -= advance;
  }
  newFrames.end();
  gpa = gfnToGpa(gfn);
  sizeBytes = pagesLeft * PAGE_SIZE_BYTES;
  vcpu.prefault_pages += vm.mappedFrames() - framesBefore;
  if (error === 0) return { result: 0, gpa, sizeBytes };
  if (sizeBytes === fullSize) return fail(error);
  return mode.policy === 'exact' ? fail(-EAGAIN) : { result: 0, gpa, sizeBytes };
}

/** `kvm_arch_has_private_mem`: a VM type with guest_memfd memory (TDX; here also any VM with a private slot). */
function hasPrivateMemory(vm: Vm): boolean {
  return vm.options.profile.privateByDefault || vm.hasPrivateSlot;
}

/**
 * One step at `gfn`: the level of the leaf now mapping it, or -errno.
 * - No memslot: merged KVM's `RET_PF_EMULATE` is -ENOENT (`kvm_tdp_map_page`);
 *   the RFC's `kvm_mmu_map_page` sees `is_error_noslot_pfn` and gives -EFAULT.
 *   A WRITE to a read-only slot is the same (`KVM_PFN_ERR_RO_FAULT`).
 * - The access is private where the GFN is private (`auto`), or as the
 *   PRIVATE flag says; an access that does not match the GFN's attribute is
 *   -EFAULT (`kvm_mmu_faultin_pfn`: `kvm_mmu_prepare_memory_fault_exit`).
 * - A private access maps in the private table; a shared one through the
 *   shared alias (`gfn_direct_bits`) when the VM has one.
 */
function preFaultOne(vm: Vm, gfn: number, pagesLeft: number, mode: PrefaultMode, access: PrefaultAccess, newFrames: NewFrames): number {
  const noMapping = mode.policy === 'exact' ? -EFAULT : -ENOENT;
  const slot = vm.memslots.find(gfn);
  if (slot === undefined) return noMapping;
  const flags = mode.flags;
  const isPrivate = vm.isPrivate(slot, gfn);
  const privateAccess = flags === 'auto' ? isPrivate : (flags & PREFAULT_FLAG_PRIVATE) !== 0;
  if (privateAccess !== isPrivate) return -EFAULT;
  if (flags !== 'auto' && (flags & PREFAULT_FLAG_WRITE) !== 0 && slot.readOnly) return noMapping;
  const alias = isPrivate || vm.tables.length === 1 ? ALIAS_PLAIN : ALIAS_STOLEN;
  const cap = mode.policy === 'exact' ? requestLevel(gfn, pagesLeft) : Level.L1G;
  return preFaultStep(vm, gfn, alias, slot, isPrivate, cap, access.kind, access.alsoWrite, newFrames);
}

/**
 * One step (`kvm_tdp_map_page`: a fault of `kind` under the mmu_lock for
 * read), again while it returns RET_PF_RETRY (a race lost on a shared
 * table). A present leaf without the access's permission takes the
 * permission fault (`Vm.fixPermission`: a write-protected page made
 * writable, an NX huge page split for an exec); `alsoWrite` (WRITE with
 * EXEC) then makes the leaf writable too. Returns the level of the leaf now
 * mapping `gfn`.
 */
function preFaultStep(
  vm: Vm,
  gfn: number,
  alias: number,
  slot: Memslot,
  isPrivate: boolean,
  cap: Level,
  kind: AccessKind,
  alsoWrite: boolean,
  newFrames: NewFrames,
): Level {
  const table = vm.tables[alias];
  for (let attempt = 1; ; attempt++) {
    vm.lock.readLock();
    try {
      const level = stepOnce(vm, gfn, alias, slot, isPrivate, cap, kind, newFrames);
      if (level !== 0) {
        if (!alsoWrite || (table.lookup(gfn) & PERMS_FOR[AccessKind.Write]) !== 0) return level;
        if (vm.fixPermission(gfn, alias, slot, AccessKind.Write, isPrivate) > 0) return vm.translatedLevel;
      }
    } finally {
      vm.lock.readUnlock();
    }
    if (attempt >= MAX_FAULTS_PER_ACCESS) throw new Error(`pre-fault of gfn 0x${gfn.toString(16)} kept losing races`);
  }
}

/** One attempt of `preFaultStep`: the leaf's level, or 0 for a race lost (again). */
function stepOnce(vm: Vm, gfn: number, alias: number, slot: Memslot, isPrivate: boolean, cap: Level, kind: AccessKind, newFrames: NewFrames): Level | 0 {
  const table = vm.tables[alias];
  const word = table.lookup(gfn);
  const walkEnd = table.lookupLevel; // a miss: the level of the empty entry the walk met
  if (word !== 0 && (word & PERMS_FOR[kind]) === 0) {
    const fixed = vm.fixPermission(gfn, alias, slot, kind, isPrivate);
    if (fixed > 0) return vm.translatedLevel;
    return fixed === MAP_SPURIOUS && table.lookup(gfn) !== 0 ? table.lookupLevel : 0;
  }
  const wanted = Math.min(vm.faultLevelQuiet(slot, gfn), cap) as Level;
  // RET_PF_SPURIOUS: already mapped at the fault path's level. The step is one fault: its level
  // (and an arch clamp of it) is chosen once, by kvm_mmu_hugepage_adjust, here or in mapFaultAt.
  if (word !== 0 && table.lookupLevel === wanted) {
    vm.newLeaf.level(slot, gfn, isPrivate);
    return wanted;
  }
  // Missing, smaller leaves to replace, or a huge leaf above the goal level to split.
  // The walk above met an empty entry at `wanted` or above: no leaf in the frame, nothing to look for.
  const mappedBefore = word === 0 && walkEnd >= wanted ? NO_LEAVES : leavesIn(table, gfn, wanted);
  const result = vm.mapFaultAt(gfn, alias, slot, kind, isPrivate, cap, word, walkEnd); // the table is as the lookup above found it
  if (result > 0) {
    markNewlyMapped(newFrames, gfn, vm.translatedLevel, mappedBefore);
    return vm.translatedLevel;
  }
  // Mapped meanwhile by another vCPU; an UNMAP racing in leaves the level unknown: advance 4K.
  if (result === MAP_SPURIOUS) return table.lookup(gfn) !== 0 ? table.lookupLevel : Level.L4K;
  return 0;
}

/** `leavesIn` of a frame that holds none. */
const NO_LEAVES: readonly number[] = [];

/** The leaves in `wanted`'s frame around `gfn` before a step, as flat [first, end) pairs (usually none). */
function leavesIn(table: PageTable, gfn: number, wanted: Level): number[] {
  const pairs: number[] = [];
  const first = alignGfnDown(gfn, wanted);
  table.walkLeaves(first, first + pagesPerLevel(wanted), (_table, _slot, level, leafGfn) => pairs.push(leafGfn, leafGfn + pagesPerLevel(level)));
  return pairs;
}

/**
 * The frames of the leaf a step mapped at `level` around `gfn` that no leaf
 * of `before` (ascending pairs) mapped: newly mapped (`prefault_pages`), so
 * pre-faulted and, until an access touches them, unused (prefaultFrames.ts).
 */
function markNewlyMapped(newFrames: NewFrames, gfn: number, level: Level, before: readonly number[]): void {
  const first = alignGfnDown(gfn, level);
  const end = first + pagesPerLevel(level);
  let at = first;
  for (let i = 0; i < before.length && at < end; i += 2) {
    if (before[i + 1] <= at) continue;
    if (before[i] > at) newFrames.add(at, Math.min(before[i], end));
    at = Math.max(at, before[i + 1]);
  }
  if (at < end) newFrames.add(at, end);
}

/**
 * The frames one ioctl newly mapped, handed to the VM's `PrefaultFrames` one run of
 * adjacent frames at a time rather than one step at a time: a 4K pre-fault
 * of 1 GiB is one `mark` of 262144 frames (32 bits a word), not 262144 marks
 * of one. The same bits and counts: nothing reads or clears them during the
 * call (accesses touch frames between events), and steps move forward, so
 * no frame comes twice in a run. `end` marks the last run.
 */
class NewFrames {
  private startGfn = 0;
  private endGfn = 0;

  constructor(private readonly frames: PrefaultFrames) {}

  /** Frames [startGfn, endGfn) were newly mapped. */
  add(startGfn: number, endGfn: number): void {
    if (startGfn !== this.endGfn) {
      this.end();
      this.startGfn = startGfn;
    }
    this.endGfn = endGfn;
  }

  /** Mark the run held, if any. */
  end(): void {
    if (this.endGfn > this.startGfn) this.frames.mark(this.startGfn, this.endGfn - this.startGfn);
    this.startGfn = this.endGfn;
  }
}

/** Seed 002's level from the request alone: the largest aligned page that fits in it. */
function requestLevel(gfn: number, pagesLeft: number): Level {
  for (const level of [Level.L1G, Level.L2M]) {
    if (gfn % pagesPerLevel(level) === 0 && pagesLeft >= pagesPerLevel(level)) return level;
  }
  return Level.L4K;
}
