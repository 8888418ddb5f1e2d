/**
 * How a flush request becomes TLB invalidations, per arch (one policy object
 * per cell). Requests arrive as a GFN range in one alias; the plan says
 * whether to flush everything or which raw frame ranges (stolen bits
 * included) to drop, and what it costs.
 *
 * - Generic `kvm_flush_remote_tlbs_range`: the arch range flush if it has
 *   one, else a full `kvm_flush_remote_tlbs` of every vCPU.
 * - x86: a range flush exists only through `flush_remote_tlbs_range`
 *   (Hyper-V enlightened flush, `--range-flush hyperv`); bare metal flushes
 *   all, by IPI to every vCPU (`kvm_make_all_cpus_request(KVM_REQ_TLB_FLUSH)`).
 *   Requests of `FlushOrigin.Generic` (MMU-notifier unmap, memslot zap,
 *   attribute change: `kvm_flush_remote_tlbs`) are full on x86 in any case;
 *   arm64's `kvm_pgtable_stage2_unmap` invalidates its own range instead.
 * - arm64 (`kvm_tlb_flush_vmid_range`): with FEAT_TLBIRANGE, TLBI range
 *   operations of at most MAX_TLBI_RANGE_PAGES each (`ArchProfile.rangeOpMaxPages`),
 *   broadcast in hardware (no IPI); without it a full VMID flush.
 * The arch facts are fields of the profile (`rangeFlushVia`,
 * `rangeOpMaxPages`, `fullFlushByIpi`, `rangeFlushDropsStage1`).
 * - `FlushOrigin.All` (a root reload after `kvm_mmu_zap_all_fast`) is full
 *   under every policy.
 * - arm64: every range TLBI is followed by `TLBI VMALLE1IS`
 *   (`__kvm_tlb_flush_vmid_ipa`, `__kvm_tlb_flush_vmid_range`), which drops
 *   every stage-1 entry of the VMID; our entries are combined, so the plan
 *   drops everything (`full`) while the operations count as range ones.
 * - Stolen bits (seed 001, `kvm_flush_remote_tlbs_with_address`): one bit and
 *   range support: the range, then the range with the bit set (the alias);
 *   more than one bit, or no range support: full. Upstream TDX flushes all
 *   whenever the VM has a shared bit (`--alias-flush full`, the default).
 */
import type { ArchProfile } from '../mmu/arch/archProfile.js';
import type { StolenBits } from '../mmu/stolenBits.js';
import type { VmStats } from '../mmu/stats.js';
import { FlushOrigin } from '../mmu/vmOptions.js';

export const FLUSH_MODES = ['auto', 'range', 'full'] as const;
export type FlushMode = (typeof FLUSH_MODES)[number];
export const RANGE_FLUSH_KINDS = ['none', 'hyperv'] as const;
export type RangeFlushKind = (typeof RANGE_FLUSH_KINDS)[number];
export const ALIAS_FLUSH_KINDS = ['range', 'full'] as const;
export type AliasFlushKind = (typeof ALIAS_FLUSH_KINDS)[number];

/** A scenario's flush flags (`--flush-mode`, `--range-flush`, `--tlbi-range`, `--alias-flush`). */
export interface FlushFlags {
  mode: FlushMode;
  rangeFlush: RangeFlushKind;
  tlbiRange: boolean;
  aliasFlush: AliasFlushKind;
}

/** What the policy reads of the VM: its arch's flush facts and its stolen bits (a `VmOptions` is one). */
export interface FlushVm {
  profile: Pick<ArchProfile, 'rangeFlushVia' | 'rangeOpMaxPages' | 'fullFlushByIpi' | 'rangeFlushDropsStage1'>;
  stolen: StolenBits;
}

/** The decision for one request; one object reused for every request (no allocation). */
export interface FlushPlan {
  /** True when every entry of the VM is dropped on every vCPU (a full flush, or arm64's range TLBI + `VMALLE1IS`). */
  full: boolean;
  /** True when the operation is a full flush (`flushes_full`); false for range operations (`flushes_range`), whatever `full` drops. */
  fullOp: boolean;
  /** Raw frame ranges `[start, end)` to drop, as flat pairs; `rangeCount` of them are valid. */
  ranges: Float64Array;
  rangeCount: number;
  /** Range invalidation operations issued (TLBI range ops, Hyper-V hypercalls). */
  rangeOps: number;
  /** True when the flush reaches vCPUs by IPI. */
  ipis: boolean;
  /** The request itself in raw frames (stolen bits of its alias set): `[requested[0], requested[1])`; entries outside it that a full flush drops are collateral. */
  requested: Float64Array;
}

export function newFlushPlan(): FlushPlan {
  return { full: false, fullOp: false, ranges: new Float64Array(4), rangeCount: 0, rangeOps: 0, ipis: false, requested: new Float64Array(2) };
}

export class FlushPolicy {
  constructor(
    private readonly flags: FlushFlags,
    private readonly vm: FlushVm,
  ) {}

  /**
   * One `kvm_flush_remote_tlbs[_range]` request of a VM with `vcpuCount`
   * vCPUs: fill `plan` and count the request in `stats` (`flush_requests`,
   * `flushes_full` or `flushes_range`, `flush_ipis`). Every replay counts its
   * flushes here, whoever then carries them out.
   */
  planAndCount(startGfn: number, endGfn: number, alias: number, origin: FlushOrigin, plan: FlushPlan, stats: VmStats, vcpuCount: number): void {
    stats.flush_requests++;
    this.plan(startGfn, endGfn, alias, origin, plan);
    if (plan.fullOp) stats.flushes_full++;
    else stats.flushes_range += plan.rangeOps;
    if (plan.ipis) stats.flush_ipis += vcpuCount;
  }

  /** Fill `plan` for a request of `[startGfn, endGfn)` in `alias` (0 plain, 1 stolen bits set). */
  plan(startGfn: number, endGfn: number, alias: number, origin: FlushOrigin, plan: FlushPlan): void {
    const o = this.flags;
    const { profile, stolen } = this.vm;
    const requestedStart = alias === 0 || !stolen.any ? startGfn : stolen.alias(startGfn);
    plan.requested[0] = requestedStart;
    plan.requested[1] = requestedStart + (endGfn - startGfn);
    const hasRange = o.mode === 'range' || (o.mode === 'auto' && this.archHasRange(origin));
    plan.rangeCount = 0;
    plan.rangeOps = 0;
    let full = o.mode === 'full' || !hasRange || origin === FlushOrigin.All;
    if (!full && stolen.any && o.mode === 'auto') {
      full = stolen.gpaBits.length > 1 || o.aliasFlush === 'full';
    }
    plan.full = full || profile.rangeFlushDropsStage1;
    plan.fullOp = full;
    // x86 reaches the other vCPUs by IPI; Hyper-V's hypercall and arm64's broadcast TLBI do not.
    plan.ipis = profile.fullFlushByIpi && full;
    if (full) return;
    // Requests name stripped GFNs: with stolen bits both views are dropped,
    // whichever alias changed (seed 001 flushes the range and its alias).
    this.addRange(plan, startGfn, endGfn);
    if (stolen.any) this.addRange(plan, stolen.alias(startGfn), stolen.alias(endGfn));
  }

  /**
   * Whether the arch's own range flush serves a request from `origin`
   * (`ArchProfile.rangeFlushVia`): Hyper-V's, when enabled, for anything but
   * a generic `kvm_flush_remote_tlbs`; a TLBI range with FEAT_TLBIRANGE, or
   * the IPA TLBI of one leaf, which every arm64 CPU has.
   */
  private archHasRange(origin: FlushOrigin): boolean {
    if (this.vm.profile.rangeFlushVia === 'hyperv') return this.flags.rangeFlush === 'hyperv' && origin !== FlushOrigin.Generic;
    return this.flags.tlbiRange || origin === FlushOrigin.Ipa;
  }

  private addRange(plan: FlushPlan, start: number, end: number): void {
    plan.ranges[plan.rangeCount * 2] = start;
    plan.ranges[plan.rangeCount * 2 + 1] = end;
    plan.rangeCount++;
    const maxPages = this.vm.profile.rangeOpMaxPages;
    plan.rangeOps += maxPages === undefined ? 1 : Math.ceil((end - start) / maxPages);
  }
}
