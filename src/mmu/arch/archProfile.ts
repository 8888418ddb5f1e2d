/**
 * Architecture profiles: small policy objects chosen once per cell, so the
 * engine never branches on the arch name (architecture.md). Each says what
 * its KVM does where the architectures differ.
 */
import { Level } from '../level.js';
import { MemslotError, type Memslot } from '../memslots.js';

/** Every `--arch` value. */
export const ARCHES = ['x86-tdp', 'x86-tdx', 'arm64', 'pkvm', 'pkvm-pmd'] as const;
export type Arch = (typeof ARCHES)[number];

export const EOPNOTSUPP = 95;

export interface ArchProfile {
  readonly name: Arch;
  /** x86 (NX huge pages, stolen bits, eager split by default) or arm64 (FWB, PFNMAP kinds). */
  readonly family: 'x86' | 'arm64';
  /** Largest leaf the stage-2 of this arch may hold for shared (ordinary) memory. */
  readonly maxSharedLevel: Level;
  /** Largest leaf for private (guest_memfd / TDX S-EPT) memory. */
  readonly maxPrivateLevel: Level;
  /** 0 when KVM_PRE_FAULT_MEMORY is supported, else the negative errno it returns. */
  readonly preFaultResult: number;
  /** Default of `--eager-split auto`. */
  readonly eagerSplitDefault: boolean;
  /** Whether eager splitting exists at all (pKVM: `split` is unsupported). */
  readonly canSplit: boolean;
  /**
   * How a fault that needs 4K in a block is handled: x86 splits the block into
   * 512 smaller leaves (`tdp_mmu_split_huge_page`); arm64 breaks the block and
   * maps only the faulting page (break-before-make in `stage2_map_walker`).
   */
  readonly splitPreservesMappings: boolean;
  /** True for pKVM: mappings go through hypercalls and a host-side tree. */
  readonly hypercallMirror: boolean;
  /** Refuse a memslot that this arch's KVM refuses (at registration, as the review in seed 004 asks). */
  checkSlot(slot: Memslot, fwb: boolean): void;
}

const x86Base = {
  family: 'x86' as const,
  maxSharedLevel: Level.L1G,
  preFaultResult: 0,
  // x86 module parameter `eager_page_split` defaults to true.
  eagerSplitDefault: true,
  canSplit: true,
  splitPreservesMappings: true,
  hypercallMirror: false,
  checkSlot(slot: Memslot): void {
    if (slot.pfnmap !== 'none') throw new MemslotError(`memslot ${slot.id}: pfnmap memory kinds are an arm64 model (x86 maps PFNMAP memory as ordinary memory here)`);
  },
};

/** arm64 `user_mem_abort` refusals, checked when the slot is declared. */
function checkArm64Slot(slot: Memslot, fwb: boolean): void {
  if (slot.pfnmap === 'cow') {
    throw new MemslotError(`memslot ${slot.id}: a copy-on-write VM_PFNMAP mapping cannot back a memslot (user_mem_abort refuses COW PFNMAP with -EINVAL)`);
  }
  if (slot.pfnmap === 'normal' && !fwb) {
    throw new MemslotError(`memslot ${slot.id}: cacheable device memory (PFNMAP, Normal memory type) needs stage-2 FWB; use --fwb on or a Device memory type`);
  }
  if (slot.private) throw new MemslotError(`memslot ${slot.id}: private (guest_memfd) memslots are modelled for x86 only`);
}

const arm64Base = {
  family: 'arm64' as const,
  maxSharedLevel: Level.L1G,
  maxPrivateLevel: Level.L1G,
  // arm64 dirty logging splits lazily unless KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE is set (default 0).
  eagerSplitDefault: false,
  splitPreservesMappings: false,
  checkSlot: checkArm64Slot,
};

/** The profile of `arch`. */
export function archProfile(arch: Arch): ArchProfile {
  switch (arch) {
    case 'x86-tdp':
      // guest_memfd private memory maps at the level the slot allows, not the host's (kvm_max_private_mapping_level).
      return { ...x86Base, name: arch, maxPrivateLevel: Level.L1G };
    case 'x86-tdx':
      // TDX private memory (S-EPT) starts 4K only (seed 002; tdx_gmem_private_max_mapping_level).
      return { ...x86Base, name: arch, maxPrivateLevel: Level.L4K };
    case 'arm64':
      return { ...arm64Base, name: arch, preFaultResult: 0, canSplit: true, hypercallMirror: false };
    case 'pkvm':
      // Protected VM (seed 000): PAGE_SIZE only, no pre-fault, no split.
      return { ...arm64Base, name: arch, maxSharedLevel: Level.L4K, maxPrivateLevel: Level.L4K, preFaultResult: -EOPNOTSUPP, canSplit: false, hypercallMirror: true };
    case 'pkvm-pmd':
      // Later upstream: PMD_SIZE allowed for non-protected VMs, still through hypercalls.
      return { ...arm64Base, name: arch, maxSharedLevel: Level.L2M, maxPrivateLevel: Level.L2M, preFaultResult: 0, canSplit: false, hypercallMirror: true };
  }
}
