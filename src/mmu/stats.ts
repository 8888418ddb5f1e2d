/**
 * Statistics, kept apart from the model (as drcachesim keeps its counters
 * apart from `tlb_simulator`): plain integer fields, named as KVM names them
 * where they count the same thing, merged by addition.
 */

import { ATTR_DEVICE, ATTR_PRIVATE } from './entry.js';
import { Level, pagesPerLevel } from './level.js';

/** The AT emulation's counters of one vCPU (src/replay/atEmulation.ts), named after KVM's paths. */
export const AT_COUNTER_NAMES = ['at_ops', 'at_fast', 'at_slow', 'at_pan_checks', 'at_walk_reads', 'at_faults'] as const;

/**
 * Per-vCPU counters added after the AT counters: they go at the end of results.csv
 * (src/report/resultsCsv.ts), after the AT counters and the late VM counters.
 */
export const LATE_VCPU_COUNTER_NAMES = ['faults_abort', 'faults_access'] as const;
/** VM counters added after the AT counters (results.csv: at the very end, after `LATE_VCPU_COUNTER_NAMES`). */
export const LATE_VM_COUNTER_NAMES = ['pkvm_memcache_pages', 'prefault_pages_unused'] as const;

/** Counters of one vCPU, in report column order. */
export const VCPU_COUNTER_NAMES = [
  'accesses',
  'faults_missing',
  'faults_permission',
  'faults_spurious',
  'faults_mmio',
  'prefault_calls',
  'prefault_pages',
  'prefault_errors',
  'tlb_hits',
  'tlb_misses',
  'tlb_flushes',
  'l1_misses',
  'l2_misses',
  'walk_refs',
  'refill_misses',
  'faults_pt',
  ...AT_COUNTER_NAMES,
  ...LATE_VCPU_COUNTER_NAMES,
] as const;
export type VcpuCounter = (typeof VCPU_COUNTER_NAMES)[number];

/** Counters of the whole VM, in report column order. */
export const VM_COUNTER_NAMES = [
  'pages_4k',
  'pages_2m',
  'pages_1g',
  'mmu_pages',
  'flush_requests',
  'tlb_entries_flushed',
  'pages_private',
  'pages_shared',
  'pages_device',
  'pages_normal',
  'nx_lpage_splits',
  'level_clamps',
  'hypercalls',
  'flushes_range',
  'flushes_full',
  'flush_ipis',
  'tlb_entries_flushed_collateral',
  'ioctl_errors',
  ...LATE_VM_COUNTER_NAMES,
] as const;
export type VmCounter = (typeof VM_COUNTER_NAMES)[number];

/** Guest faults of every kind (the derived `faults` column), from a vCPU's counters. */
export function faultsOf(
  c: Readonly<Record<'faults_missing' | 'faults_permission' | 'faults_spurious' | 'faults_mmio' | 'faults_abort' | 'faults_access', number>>,
): number {
  return c.faults_missing + c.faults_permission + c.faults_spurious + c.faults_mmio + c.faults_abort + c.faults_access;
}

/** 4 KiB frames mapped by the leaves counted in `c` (`pages_4k`, `pages_2m`, `pages_1g`): the one sum of `Vm.mappedFrames` and of a per-vCPU cell's `frames_mapped`. */
export function framesMapped(c: Readonly<Record<'pages_4k' | 'pages_2m' | 'pages_1g', number>>): number {
  return c.pages_4k + c.pages_2m * pagesPerLevel(Level.L2M) + c.pages_1g * pagesPerLevel(Level.L1G);
}

/** One vCPU's counters. */
export class VcpuStats {
  /** Access rows (R/W/X) replayed. */
  accesses = 0;
  /** Faults on a missing mapping, fixed by mapping (KVM `pf_fixed`). */
  faults_missing = 0;
  /** Write faults on a write-protected mapping, fixed in place (KVM `pf_fast`). */
  faults_permission = 0;
  /** Faults that found the mapping already installed by a racing vCPU (KVM `pf_spurious`; pKVM -EAGAIN). */
  faults_spurious = 0;
  /** Faults with no memslot, or writes to a read-only slot: exit to userspace. */
  faults_mmio = 0;
  /** KVM_PRE_FAULT_MEMORY ioctls issued. */
  prefault_calls = 0;
  /** 4 KiB frames newly mapped by pre-fault. */
  prefault_pages = 0;
  /** Pre-fault ioctls that returned an error. */
  prefault_errors = 0;
  /** TLB lookups that hit with sufficient permissions. */
  tlb_hits = 0;
  /** TLB lookups that missed (a lookup that faults counts once, as a miss). */
  tlb_misses = 0;
  /** Flushes of this vCPU's TLB (KVM `tlb_flush`). */
  tlb_flushes = 0;
  /** Lookups that missed the first-level TLB (data or instruction, by access kind). */
  l1_misses = 0;
  /** Lookups that missed the second-level TLB (0 without one). */
  l2_misses = 0;
  /** Memory references made by stage-2 page walks after last-level misses. */
  walk_refs = 0;
  /** Last-level misses on translations a flush dropped while they were still valid. */
  refill_misses = 0;
  /** Stage-2 faults taken by guest page-table reads of 2D walks (`--guest-levels`; not in `faults`). */
  faults_pt = 0;
  /** AT rows emulated (guest hypervisor `AT S1E*` traps; src/replay/atEmulation.ts). */
  at_ops = 0;
  /** ATs answered by the hardware AT with the guest's context (`__kvm_at_s1e01`, `__kvm_at_s1e2`). */
  at_fast = 0;
  /** ATs replayed by the software walker (`handle_at_slow`); `at_fast + at_slow = at_ops`. */
  at_slow = 0;
  /** EL0 translations run by `check_at_pan` for `AT S1E1RP/WP` (1 or 2 per AT). */
  at_pan_checks = 0;
  /** Guest stage-1 descriptors read by the software walker (`kvm_read_guest`, one per level). */
  at_walk_reads = 0;
  /** Stage-2 faults taken by those reads (not in `faults`). */
  at_faults = 0;
  /**
   * Stage-2 faults KVM answers by injecting an abort into the guest, with no
   * exit to userspace: arm64 exec of Device memory or outside any memslot
   * (`user_mem_abort` / `kvm_handle_guest_abort` return -ENOEXEC ->
   * `kvm_inject_sea_iabt`). Not in `faults_mmio`.
   */
  faults_abort = 0;
  /**
   * arm64 access-flag faults (`--hw-af off`): an access to a leaf AGE made
   * old, fixed by `handle_access_fault` -> `kvm_pgtable_stage2_mkyoung`
   * (pKVM: `__pkvm_host_mkyoung_guest`). Part of `faults`.
   */
  faults_access = 0;

  /** Guest faults of every kind. */
  get faults(): number {
    return faultsOf(this);
  }

  add(other: VcpuStats): void {
    for (const name of VCPU_COUNTER_NAMES) this[name] += other[name];
  }
}

/** VM-wide counters. */
export class VmStats {
  /** Leaf mappings present now, per level (KVM `pages_4k/2m/1g`). */
  pages_4k = 0;
  pages_2m = 0;
  pages_1g = 0;
  /**
   * Stage-2 table pages allocated below the root. Not KVM's `mmu_cache_miss`
   * on a TDP host: only the shadow MMU counts that (a shadow page not found in
   * its hash); the TDP MMU allocates tables without the hash and has no such count.
   */
  mmu_pages = 0;
  /** TLB flush requests emitted (KVM `remote_tlb_flush_requests`). */
  flush_requests = 0;
  /** TLB entries dropped by flushes, over all vCPUs. */
  tlb_entries_flushed = 0;
  /** Leaves mapping private memory (guest_memfd; TDX private alias). */
  pages_private = 0;
  /** Leaves mapping shared (ordinary) memory. */
  pages_shared = 0;
  /** arm64 leaves with the Device memory type (PFNMAP device memory). */
  pages_device = 0;
  /** Leaves with a Normal memory type. */
  pages_normal = 0;
  /** Page-table pages created because NX huge pages forbade a huge mapping (KVM `nx_lpage_splits`). */
  nx_lpage_splits = 0;
  /** Faults whose level the arch clamped below what the memslot allowed (pKVM 4K/2M, TDX private 4K). */
  level_clamps = 0;
  /** pKVM hypercalls to EL2 (by kind in run.json). */
  hypercalls = 0;
  /** Range invalidation operations (x86 Hyper-V hypercalls, arm64 TLBI range chunks). */
  flushes_range = 0;
  /** Full flushes of the VM's translations. */
  flushes_full = 0;
  /** vCPUs interrupted by flush IPIs. */
  flush_ipis = 0;
  /** Entries a full flush (or an arm64 range TLBI, followed by `TLBI VMALLE1IS`) dropped although they were outside the requested range. */
  tlb_entries_flushed_collateral = 0;
  /** Host ioctls of the trace that KVM refuses and the run goes on without (dirty logging on a guest_memfd or arm64 VM_PFNMAP slot: -EINVAL). */
  ioctl_errors = 0;
  /**
   * pKVM: pages the host donated to EL2's per-vCPU memcache before a share
   * hypercall (`pkvm_refill_memcache` -> `refill_memcache`, topped up by
   * `topup_hyp_memcache` in `user_mem_abort`; src/mmu/pkvm/hypMemcache.ts).
   */
  pkvm_memcache_pages = 0;
  /**
   * 4 KiB frames pre-fault newly mapped that no guest access touched
   * afterwards, to the end of the trace: set once at the end of a replay from
   * `Vm.prefaulted` (src/mmu/prefaultFrames.ts), 0 before.
   */
  prefault_pages_unused = 0;

  /**
   * Count one leaf appearing (`sign` 1) or disappearing (-1): `pages_*` by
   * level, private/shared and device/normal by its attribute bits. Every page
   * table (the VM's and the per-vCPU mode's shared one) counts through here.
   */
  countLeaf(level: Level, word: number, sign: number): void {
    if (level === Level.L4K) this.pages_4k += sign;
    else if (level === Level.L2M) this.pages_2m += sign;
    else this.pages_1g += sign;
    if (word & ATTR_PRIVATE) this.pages_private += sign;
    else this.pages_shared += sign;
    if (word & ATTR_DEVICE) this.pages_device += sign;
    else this.pages_normal += sign;
  }
}
