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

/** arm64 `MAX_TLBI_RANGE_PAGES`: 2^21 pages (8 GiB at 4K) per TLBI range operation. */
export const MAX_TLBI_RANGE_PAGES = 2 ** 21;

/** x86-tdx's shared bit when `--stolen-bits auto` (TDX with 4-level EPT). */
export const TDX_DEFAULT_SHARED_BIT = 47;

export interface ArchProfile {
  readonly name: Arch;
  /**
   * x86 or arm64: which scenario flags apply (x86: `--nx-huge-pages`,
   * `--private-huge`, `--stolen-bits`, `--range-flush`, `--prefault-flags`;
   * arm64: `--fwb`, `--dic`, `--tlbi-range`, `--cow-pfnmap`, `--hw-af`), the
   * others taking their neutral value (parseMatrix.ts). The model itself
   * reads the fields below, never this one.
   */
  readonly family: 'x86' | 'arm64';
  /** Largest leaf the stage-2 of this arch may hold for shared (ordinary) memory. */
  readonly maxSharedLevel: Level;
  /** Largest leaf for private (guest_memfd / TDX S-EPT) memory with `--private-huge on`; upstream guest_memfd maps 4K (Vm). */
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
  /**
   * True for pKVM: mappings go through hypercalls and a host-side tree, and
   * a fault holds the mmu_lock for write (`kvm_fault_lock`).
   */
  readonly hypercallMirror: boolean;
  /**
   * pKVM, seed 000: `pkvm_pgtable_stage2_map` calls `__pkvm_host_share_guest`
   * before knowing the GFN is mapped, so a vCPU that lost the race pays a
   * refused hypercall (-EPERM -> -EAGAIN). Upstream (`pkvm-pmd`) finds the
   * mapping in its tree first (`pkvm_mapping_iter_first`): -EAGAIN, no hypercall.
   */
  readonly pkvmShareBeforeTreeCheck: boolean;
  /** x86 NX huge pages exists (`nx_huge_pages`); `--nx-huge-pages` collapses to off elsewhere. */
  readonly hasNxHugePages: boolean;
  /** A memslot that does not say whether it is private is guest_memfd (TD memory on x86-tdx). */
  readonly privateByDefault: boolean;
  /** GPA bits of `--stolen-bits auto` (TDX's shared bit 47 with 4-level EPT; none elsewhere). */
  readonly defaultStolenGpaBits: readonly number[];
  /**
   * A shared GFN reached through the private alias exits to userspace
   * (TDX: KVM_EXIT_MEMORY_FAULT, `kvm_mmu_faultin_pfn` seeing the attribute
   * mismatch); elsewhere a shared GFN is mapped through the plain table.
   */
  readonly sharedNeedsSharedAlias: boolean;
  /**
   * Aging (`kvm_mmu_notifier_clear_flush_young`) flushes the TLBs when a leaf
   * was young: `flush_on_ret` unless `CONFIG_KVM_ELIDE_TLB_FLUSH_IF_YOUNG`,
   * which x86 selects (false) and arm64 does not (true). src/mmu/aging.ts.
   */
  readonly agingFlushesIfYoung: boolean;
  /** Default of `--dirty-log-off auto`. */
  readonly dirtyLogOffDefault: 'recover' | 'keep';
  /**
   * Under dirty logging a read fault maps the page writable and logs it at
   * once (x86 `make_spte` -> `mark_page_dirty_in_slot`); arm64 maps it
   * read-only so the first write faults (`user_mem_abort`: logging_active && !write_fault).
   */
  readonly readFaultWritableWhileLogging: boolean;
  /** arm64 maps a page executable only on an exec fault (`user_mem_abort`, `KVM_PGTABLE_PROT_X`); x86 maps RWX. */
  readonly execOnlyOnExecFault: boolean;
  /**
   * An instruction fetch KVM cannot map is -ENOEXEC, an abort injected into
   * the guest (`kvm_inject_sea_iabt`, counted in `faults_abort`), not an exit
   * to userspace: arm64 outside any memslot (`kvm_handle_guest_abort`,
   * `is_iabt`) and from Device memory (`user_mem_abort`: `exec_fault &&
   * s2_force_noncacheable`). x86: false (an exit, `faults_mmio`).
   */
  readonly execAbortsOutsideRam: boolean;
  /**
   * A map over a leaf that differs only in permissions is -EAGAIN, not an
   * update (arm64 `stage2_pte_needs_update`); x86 replaces any SPTE that
   * differs (`tdp_mmu_map_handle_target_level`).
   */
  readonly permOnlyChangeIsSpurious: boolean;
  /**
   * Deleting or moving a memslot may zap every mapping of the VM
   * (`kvm_arch_flush_shadow_memslot` -> `kvm_mmu_zap_all_fast` when
   * `kvm_memslot_flush_zap_all()`: the default VM type with
   * KVM_X86_QUIRK_SLOT_ZAP_ALL, `--slot-zap all`). False where the VM type
   * is not the default (TDX) and on arm64, whose
   * `kvm_arch_flush_shadow_memslot` unmaps the slot's range only
   * (`kvm_stage2_unmap_range`).
   */
  readonly slotZapAllWithQuirk: boolean;
  /**
   * A stage-2 range invalidation also drops every stage-1 entry of the VMID:
   * arm64 `__kvm_tlb_flush_vmid_ipa` and `__kvm_tlb_flush_vmid_range`
   * (hyp/nvhe/tlb.c, hyp/vhe/tlb.c) follow the `TLBI IPAS2E1IS` with
   * `TLBI VMALLE1IS`, since a combined (stage 1 + stage 2) entry may hold the
   * old stage-2 translation. Our TLB entries are combined, so every range
   * flush drops all of the VM's entries on every vCPU (still counted as
   * range operations; the extra entries are collateral). x86: false.
   */
  readonly rangeFlushDropsStage1: boolean;
  /**
   * The arch's range flush (src/tlb/flushPolicy.ts):
   * - `hyperv`: x86 has one only through `flush_remote_tlbs_range`, Hyper-V's
   *   enlightened flush (`hv_flush_remote_tlbs_range`, `--range-flush
   *   hyperv`), and a generic `kvm_flush_remote_tlbs` is full in any case;
   * - `tlbi`: arm64 `kvm_tlb_flush_vmid_range`, TLBI range operations with
   *   FEAT_TLBIRANGE (`--tlbi-range on`); an IPA TLBI of one leaf
   *   (`__kvm_tlb_flush_vmid_ipa`) exists on every CPU.
   */
  readonly rangeFlushVia: 'hyperv' | 'tlbi';
  /**
   * Pages one range operation covers: arm64 `MAX_TLBI_RANGE_PAGES` (2^21; a
   * larger range takes several operations); undefined on x86, where one
   * Hyper-V hypercall takes any range.
   */
  readonly rangeOpMaxPages: number | undefined;
  /**
   * A full flush reaches the other vCPUs by IPI: x86
   * `kvm_make_all_cpus_request(KVM_REQ_TLB_FLUSH)`; arm64's TLBI is broadcast
   * in hardware (false).
   */
  readonly fullFlushByIpi: boolean;
  /**
   * An x86 host's KVM runs this profile's VM (`KVM_X86_DEFAULT_VM` with TDP),
   * so `validate` can check the model against it: x86-tdp only.
   */
  readonly hostValidatable: boolean;
  /**
   * How a host-side unmap (MMU-notifier UNMAP, memslot deletion of the slot)
   * invalidates the TLBs:
   * - `generic`: one `kvm_flush_remote_tlbs` over the leaves zapped (x86
   *   `kvm_unmap_gfn_range` returning flush);
   * - `stage2Walk`: arm64 `kvm_stage2_unmap_range` ->
   *   `stage2_apply_range(kvm_pgtable_stage2_unmap)` in 1 GiB chunks
   *   (`KVM_PGTABLE_MIN_BLOCK_LEVEL`); each chunk defers one range flush over
   *   the chunk when `stage2_unmap_defer_tlb_flush()` (FEAT_TLBIRANGE and FWB),
   *   even where nothing was mapped, else one `__kvm_tlb_flush_vmid_ipa` per
   *   leaf (`stage2_unmap_put_pte`);
   * - `perMapping`: pKVM, one `__pkvm_host_unshare_guest` per mapping, each a
   *   `kvm_pgtable_stage2_unmap` of that mapping at EL2: one flush per leaf.
   */
  readonly unmapFlush: 'generic' | 'stage2Walk' | 'perMapping';
  /**
   * Dirty logging toggled on a read-only slot changes no mapping: x86
   * `kvm_mmu_slot_apply_flags` returns early for KVM_MEM_READONLY (no eager
   * split, no write-protection, no recovery when it stops). arm64: false.
   */
  readonly readOnlySlotSkipsDirtyLogSetup: boolean;
  /**
   * Private memory has its own (mirror) root: TDX's S-EPT
   * (`kvm_has_mirrored_tdp`). Then `kvm_gfn_range_filter_to_root_types`
   * honours an invalidation's attribute filter: the MMU notifier
   * (`__kvm_handle_hva_range`, `KVM_FILTER_SHARED`) reaches the shared alias
   * only, a guest_memfd hole punch (`KVM_FILTER_PRIVATE`) the private one.
   * Without (one direct root, `KVM_DIRECT_ROOTS`) both reach every leaf of the range.
   */
  readonly mirroredPrivateRoot: boolean;
  /**
   * Refuse a memslot that this arch's KVM refuses (at registration, as the
   * review in seed 004 asks). `cacheablePfnmap`: arm64
   * `kvm_supports_cacheable_pfnmap()`, stage-2 FWB and CACHE DIC both present;
   * `refuseCow`: `--cow-pfnmap refuse` (seed 004 v3).
   */
  checkSlot(slot: Memslot, cacheablePfnmap: boolean, refuseCow: boolean): void;
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
  pkvmShareBeforeTreeCheck: false,
  agingFlushesIfYoung: false,
  hasNxHugePages: true,
  // x86 recovers huge pages in place when logging stops (kvm_tdp_mmu_recover_huge_pages, Linux 6.13+).
  dirtyLogOffDefault: 'recover' as const,
  readFaultWritableWhileLogging: true,
  execOnlyOnExecFault: false,
  execAbortsOutsideRam: false,
  permOnlyChangeIsSpurious: false,
  slotZapAllWithQuirk: true,
  rangeFlushDropsStage1: false,
  rangeFlushVia: 'hyperv' as const,
  rangeOpMaxPages: undefined,
  fullFlushByIpi: true,
  hostValidatable: false,
  unmapFlush: 'generic' as const,
  readOnlySlotSkipsDirtyLogSetup: true,
  mirroredPrivateRoot: false,
  checkSlot(slot: Memslot): void {
    if (slot.pfnmap !== 'none')
      throw new MemslotError(`memslot ${slot.id}: pfnmap memory kinds are an arm64 model (x86 maps PFNMAP memory as ordinary memory here)`);
  },
};

/**
 * arm64 memslot refusals, checked when the slot is declared. Merged upstream
 * has no copy-on-write check (neither `kvm_arch_prepare_memory_region` nor
 * `user_mem_abort` calls `is_cow_mapping`); seed 004 v3's `user_mem_abort`
 * returned -EINVAL for a COW VM_PFNMAP VMA (`--cow-pfnmap refuse`).
 */
function checkArm64Slot(slot: Memslot, cacheablePfnmap: boolean, refuseCow: boolean): void {
  if (slot.pfnmap === 'cow' && refuseCow) {
    throw new MemslotError(
      `memslot ${slot.id}: a copy-on-write VM_PFNMAP mapping cannot back a memslot with --cow-pfnmap refuse (seed 004 v3: user_mem_abort refuses COW PFNMAP with -EINVAL)`,
    );
  }
  // kvm_arch_prepare_memory_region: a cacheable VM_PFNMAP VMA without kvm_supports_cacheable_pfnmap() is -EINVAL
  // (CMOs work on kernel VAs, which PFNMAP memory may lack: FWB and DIC make them unnecessary).
  if (slot.pfnmap === 'normal' && !cacheablePfnmap) {
    throw new MemslotError(
      `memslot ${slot.id}: cacheable device memory (PFNMAP, Normal memory type) needs stage-2 FWB and CACHE DIC (kvm_supports_cacheable_pfnmap); use --fwb on --dic on or a Device memory type`,
    );
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
  hasNxHugePages: false,
  privateByDefault: false,
  defaultStolenGpaBits: [] as readonly number[],
  sharedNeedsSharedAlias: false,
  // arm64 keeps the 4K mappings when logging stops.
  dirtyLogOffDefault: 'keep' as const,
  readFaultWritableWhileLogging: false,
  execOnlyOnExecFault: true,
  execAbortsOutsideRam: true,
  agingFlushesIfYoung: true,
  permOnlyChangeIsSpurious: true,
  slotZapAllWithQuirk: false,
  rangeFlushDropsStage1: true,
  rangeFlushVia: 'tlbi' as const,
  rangeOpMaxPages: MAX_TLBI_RANGE_PAGES,
  fullFlushByIpi: false,
  hostValidatable: false,
  readOnlySlotSkipsDirtyLogSetup: false,
  mirroredPrivateRoot: false,
  checkSlot: checkArm64Slot,
};

/** The profile of `arch`. */
export function archProfile(arch: Arch): ArchProfile {
  switch (arch) {
    case 'x86-tdp':
      // With --private-huge on, guest_memfd private memory maps at the level the slot allows, not the host's
      // (kvm_max_private_mapping_level); upstream (off) caps it at 4K in the Vm (max_order 0).
      return {
        ...x86Base,
        name: arch,
        maxPrivateLevel: Level.L1G,
        privateByDefault: false,
        defaultStolenGpaBits: [],
        sharedNeedsSharedAlias: false,
        hostValidatable: true,
      };
    case 'x86-tdx':
      // TDX private memory (S-EPT) starts 4K only (seed 002; tdx_gmem_private_max_mapping_level).
      // TD memory is guest_memfd, shared through bit 47 (4-level EPT); a shared GFN must come through that alias.
      return {
        ...x86Base,
        name: arch,
        maxPrivateLevel: Level.L4K,
        privateByDefault: true,
        defaultStolenGpaBits: [TDX_DEFAULT_SHARED_BIT],
        sharedNeedsSharedAlias: true,
        // KVM_X86_TDX_VM is not KVM_X86_DEFAULT_VM: kvm_memslot_flush_zap_all() is false, the slot alone is zapped.
        slotZapAllWithQuirk: false,
        mirroredPrivateRoot: true,
      };
    case 'arm64':
      return { ...arm64Base, name: arch, preFaultResult: 0, canSplit: true, hypercallMirror: false, pkvmShareBeforeTreeCheck: false, unmapFlush: 'stage2Walk' };
    case 'pkvm':
      // Protected VM (seed 000): PAGE_SIZE only, no pre-fault, no split.
      return {
        ...arm64Base,
        name: arch,
        maxSharedLevel: Level.L4K,
        maxPrivateLevel: Level.L4K,
        preFaultResult: -EOPNOTSUPP,
        canSplit: false,
        hypercallMirror: true,
        pkvmShareBeforeTreeCheck: true,
        unmapFlush: 'perMapping',
      };
    case 'pkvm-pmd':
      // Later upstream: PMD_SIZE allowed for non-protected VMs, still through hypercalls.
      return {
        ...arm64Base,
        name: arch,
        maxSharedLevel: Level.L2M,
        maxPrivateLevel: Level.L2M,
        preFaultResult: 0,
        canSplit: false,
        hypercallMirror: true,
        pkvmShareBeforeTreeCheck: false,
        unmapFlush: 'perMapping',
      };
  }
}
