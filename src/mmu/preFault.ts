/**
 * KVM_PRE_FAULT_MEMORY, one ioctl (`kvm_vcpu_pre_fault_memory` in
 * virt/kvm/kvm_main.c, `kvm_arch_vcpu_pre_fault_memory` in
 * arch/x86/kvm/mmu/mmu.c; selftest pre_fault_memory_test.c).
 */
import { Level, PAGE_SIZE_BYTES, alignGfnDown, pagesPerLevel } from './level.js';
import { gpaToGfn } from './address.js';
import { ALIAS_PLAIN, ALIAS_STOLEN, MAX_FAULTS_PER_ACCESS, type Vm } from './vm.js';
import { AccessKind } from './vmOptions.js';
import { MAP_SPURIOUS } from './pageTable.js';
import type { Memslot } from './memslots.js';
import type { VcpuStats } from './stats.js';

/** Errno values the ioctl returns (negated, as the kernel does). */
export const EINVAL = 22;
export const ENOENT = 2;
/** `struct kvm_pre_fault_memory` has u64 `gpa` and `size`: their sum wraps at 2^64. */
const U64_LIMIT = 2 ** 64;

/**
 * `upstream`: the fault path picks the level and a step may map beyond the
 * request. `exact` (seed 002, RFC KVM_MAP_MEMORY): the level also fits the
 * request — 1G only if the GFN is 1G-aligned and at least 1 GiB remains,
 * 2M likewise — so nothing outside the request is mapped.
 */
export const PREFAULT_POLICIES = ['upstream', 'exact'] as const;
export type PrefaultPolicy = (typeof PREFAULT_POLICIES)[number];

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
 *    bits (`kvm_is_gfn_alias`). A range beyond 2^52 is no error here: its
 *    first step outside every memslot gives -ENOENT.
 * 3. Each step takes a read fault at gpa through the fault path — in the
 *    private table when the GFN is private, else through the shared alias
 *    (`gfn_direct_bits`) — then advances to the end of that mapping:
 *    `min(size, end of the level-aligned frame - gpa)` (`preFaultStep`).
 * 4. A GPA outside every memslot stops with -ENOENT (`RET_PF_EMULATE`).
 * 5. Returns 0 if any progress was made, else the step's error.
 */
export function preFault(vm: Vm, gpa: number, sizeBytes: number, policy: PrefaultPolicy, vcpu: VcpuStats): PrefaultCall {
  vcpu.prefault_calls++;
  const fail = (result: number): PrefaultCall => {
    vcpu.prefault_errors++;
    return { result, gpa, sizeBytes };
  };
  if (vm.options.profile.preFaultResult !== 0) return fail(vm.options.profile.preFaultResult);
  // kvm_vcpu_pre_fault_memory: unaligned, or `gpa + size <= gpa` (empty or wrapping around u64). A range
  // beyond the address space is not -EINVAL: its first step finds no memslot (-ENOENT).
  if (gpa % PAGE_SIZE_BYTES !== 0 || sizeBytes % PAGE_SIZE_BYTES !== 0 || sizeBytes <= 0 || gpa + sizeBytes >= U64_LIMIT) {
    return fail(-EINVAL);
  }
  const stolen = vm.options.stolen;
  if (stolen.any && stolen.strip(gpaToGfn(gpa)) !== gpaToGfn(gpa)) return fail(-EINVAL);

  const framesBefore = vm.mappedFrames();
  const fullSize = sizeBytes;
  let result = 0;
  while (sizeBytes > 0) {
    const gfn = gpaToGfn(gpa);
    const slot = vm.memslots.find(gfn);
    if (slot === undefined) {
      result = -ENOENT;
      break;
    }
    const isPrivate = vm.isPrivate(slot, gfn);
    const alias = isPrivate || vm.tables.length === 1 ? ALIAS_PLAIN : ALIAS_STOLEN;
    const cap = policy === 'exact' ? requestLevel(gfn, sizeBytes / PAGE_SIZE_BYTES) : Level.L1G;
    const level = preFaultStep(vm, gfn, alias, slot, isPrivate, cap);
    const endGpa = (alignGfnDown(gfn, level) + pagesPerLevel(level)) * PAGE_SIZE_BYTES;
    const advance = Math.min(sizeBytes, endGpa - gpa);
    gpa += advance;
    sizeBytes -= advance;
  }
  vcpu.prefault_pages += vm.mappedFrames() - framesBefore;
  if (sizeBytes === fullSize) return fail(result);
  return { result: 0, gpa, sizeBytes };
}

/**
 * One step (`kvm_tdp_map_page`: a read fault under the mmu_lock for read),
 * again while it returns RET_PF_RETRY (a race lost on a shared table).
 * Returns the level of the leaf now mapping `gfn`.
 */
function preFaultStep(vm: Vm, gfn: number, alias: number, slot: Memslot, isPrivate: boolean, cap: Level): Level {
  const table = vm.tables[alias];
  for (let attempt = 1; ; attempt++) {
    vm.lock.readLock();
    try {
      const word = table.lookup(gfn);
      const wanted = Math.min(vm.faultLevelQuiet(slot, gfn), cap) as Level;
      // RET_PF_SPURIOUS: already mapped at the fault path's level. The step is one fault: its level
      // (and an arch clamp of it) is chosen once, by kvm_mmu_hugepage_adjust, here or in mapFault.
      if (word !== 0 && table.lookupLevel === wanted) {
        vm.faultLevel(slot, gfn, isPrivate);
        return wanted;
      }
      // Missing, smaller leaves to replace, or a huge leaf above the goal level to split.
      const result = vm.mapFault(gfn, alias, slot, AccessKind.Read, isPrivate, cap);
      if (result > 0) return vm.translatedLevel;
      // Mapped meanwhile by another vCPU; an UNMAP racing in leaves the level unknown: advance 4K.
      if (result === MAP_SPURIOUS) return table.lookup(gfn) !== 0 ? table.lookupLevel : Level.L4K;
    } finally {
      vm.lock.readUnlock();
    }
    if (attempt >= MAX_FAULTS_PER_ACCESS) throw new Error(`pre-fault of gfn 0x${gfn.toString(16)} kept losing races`);
  }
}

/** Seed 002's level from the request alone: the largest aligned page that fits in it. */
function requestLevel(gfn: number, pagesLeft: number): Level {
  for (const level of [Level.L1G, Level.L2M]) {
    if (gfn % pagesPerLevel(level) === 0 && pagesLeft >= pagesPerLevel(level)) return level;
  }
  return Level.L4K;
}
