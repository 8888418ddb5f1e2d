/**
 * The vocabulary between the VM model and its callers: access kinds, flush
 * requests, and the options fixed per scenario (resolved from a scenario by
 * src/replay/vmOptions.ts).
 */
import type { Level } from './level.js';
import type { StolenBits } from './stolenBits.js';
import type { ArchProfile } from './arch/archProfile.js';
import type { EntryStore } from './entryStore.js';
import type { MmuLock } from './mmuLock.js';

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
  /**
   * Every translation of the VM on every vCPU, whatever the flush policy: a
   * root reload (`kvm_mmu_zap_all_fast` ->
   * `kvm_make_all_cpus_request(KVM_REQ_MMU_FREE_OBSOLETE_ROOTS)`).
   */
  All = 2,
  /**
   * One `__kvm_tlb_flush_vmid_ipa` of one leaf (arm64 break-before-make of a
   * block, `stage2_unmap_put_pte` without deferral): a range operation
   * whether or not the CPU has FEAT_TLBIRANGE (an IPA TLBI always exists).
   */
  Ipa = 3,
  /**
   * A stage-2 range TLBI issued by the page-table code itself
   * (`kvm_pgtable_stage2_unmap`'s deferred `kvm_tlb_flush_vmid_range`): planned
   * as a range request, but not a `kvm_arch_flush_remote_tlbs_range` call
   * (so on pKVM it is no hypercall of its own: it runs at EL2).
   */
  Tlbi = 4,
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

/** `--private-huge`: guest_memfd huge pages off (upstream, 4K) or on (the slot's level). */
export const PRIVATE_HUGE_KINDS = ['off', 'on'] as const;
export type PrivateHugeKind = (typeof PRIVATE_HUGE_KINDS)[number];

/**
 * `--cow-pfnmap`: a copy-on-write VM_PFNMAP memslot is allowed (`allow`,
 * merged upstream: no `is_cow_mapping` check) or refused (`refuse`, seed 004
 * v3's `user_mem_abort` -EINVAL, checked at registration as its review asked).
 */
export const COW_PFNMAP_KINDS = ['allow', 'refuse'] as const;
export type CowPfnmapKind = (typeof COW_PFNMAP_KINDS)[number];

/** `--slot-zap`: KVM_X86_QUIRK_SLOT_ZAP_ALL on (`all`, upstream's default) or off (`slot`). */
export const SLOT_ZAP_KINDS = ['all', 'slot'] as const;
export type SlotZapKind = (typeof SLOT_ZAP_KINDS)[number];

/** What DIRTY_LOG_OFF does to the 4K mappings dirty logging left behind. */
export const DIRTY_LOG_OFF_POLICIES = ['auto', 'recover', 'zap', 'zap-leaves', 'keep'] as const;
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
  /** `recover`, `zap`, `zap-leaves` or `keep` (never `auto` here). */
  dirtyLogOff: DirtyLogOffPolicy;
  stolen: StolenBits;
  /**
   * Memslot deletion and move zap every mapping (`--slot-zap all` where the
   * profile's `slotZapAllWithQuirk` holds: KVM_X86_QUIRK_SLOT_ZAP_ALL on), or
   * the slot's only.
   */
  slotZapAll: boolean;
  /**
   * Private (guest_memfd) memory may map at the level the slot allows
   * (`--private-huge on`, for the guest_memfd huge-page work in flight).
   * Upstream's `__kvm_gmem_get_pfn` reports `max_order` 0, so
   * `kvm_mmu_faultin_pfn_private` / `kvm_max_private_mapping_level` map 4K
   * (`--private-huge off`, the default).
   */
  privateHuge: boolean;
  /** arm64 stage-2 forced write-back. */
  fwb: boolean;
  /** arm64 CTR_EL0.DIC (`--dic`): no I-cache invalidation needed for coherence; with FWB, cacheable PFNMAP memory may be mapped. */
  dic: boolean;
  /** arm64: refuse a copy-on-write VM_PFNMAP memslot (`--cow-pfnmap refuse`, seed 004 v3); upstream allows it. */
  refuseCowPfnmap: boolean;
  /**
   * arm64 hardware Access Flag updates (VTCR_EL2.HA, `--hw-af on`): a walk sets
   * an aged leaf's AF. Off: the access takes an access-flag fault
   * (`handle_access_fault` -> `kvm_pgtable_stage2_mkyoung`; src/mmu/aging.ts).
   */
  hwAf: boolean;
  /** arm64 FEAT_TLBIRANGE (`--tlbi-range`): with FWB, a stage-2 unmap defers its TLBIs to one range flush. */
  tlbiRange: boolean;
  /** Levels of the stage-2 table: 4 covers 48-bit GPAs, 5 covers 52-bit (x86 5-level EPT, arm64 LPA). */
  rootLevel: Level;
}

/** Where the plain alias's table lives and which lock guards it: per-vCPU threads pass a shared store and lock. */
export interface Stage2Backing {
  store: EntryStore;
  lock: MmuLock;
}
