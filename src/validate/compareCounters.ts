/**
 * The comparison rules: which model counter stands for which KVM statistic,
 * and, for the host's MMU mode and this run, whether the two must agree
 * exactly or differ for a known reason (stated in the row). Pure.
 */
import { dirtyReadKey } from './modelDirtyPages.js';
import type { CellResult, PrefaultCallRecord } from '../replay/results.js';
import type { HostMmuMode } from './hostFacts.js';
import type { KernelCounters, KernelDirtyLog, KernelPrefaultCall } from './runnerOutput.js';

/**
 * `agree`/`differ`: a pair that must agree exactly (`differ` fails the run);
 * `explained`: a pair that may differ for the reason in `note` (shown, never
 * failing); `info`: a kernel figure with no model counterpart.
 */
export type RowStatus = 'agree' | 'differ' | 'explained' | 'info';

export interface ValidationRow {
  /** Model counter (or expression), e.g. `faults_missing + faults_permission`. */
  model: string;
  /** KVM statistic, e.g. `pf_fixed`. */
  kernel: string;
  modelValue: number | string;
  kernelValue: number | string;
  status: RowStatus;
  /** Why a pair may differ, or what an info row means; empty for plain exact pairs. */
  note: string;
}

/** What the comparison must know about the host and the run. */
export interface CompareContext {
  mode: HostMmuMode;
  /** kvm `tdp_mmu`: the TDP MMU (not the legacy one) handles TDP faults. */
  tdpMmu: boolean;
  /** kvm `mmio_caching`. */
  mmioCaching: boolean;
  /** The trace enables dirty logging somewhere. */
  dirtyLogging: boolean;
  /** The guest's page size in the real guest, bytes (after any 1G → 2M fallback). */
  guestPageBytes: number;
  /** The page size the scenario asked for (`--max-level`), bytes. */
  guestPageAskedBytes: number;
  /** Host page size behind the trace's slots, bytes. */
  hostPageBytes: number;
  /** Bytes of the slots the host actually backed with huge pages (THP may give fewer). */
  hostHugeBytes: number;
  /** True when the scenario's NX huge pages setting differs from the host's and the trace executes. */
  nxMismatch: boolean;
}

const MIB2 = 2 * 1024 * 1024;

/** Notes of known differences; each names the upstream functions behind it. */
export const NOTES = {
  shadowFast:
    'shadow paging fixes write-protection faults on the slow path (fast_page_fault only handles direct mappings), so they count in pf_fixed and pf_fast stays 0',
  shadowDirtyHuge:
    'a write under dirty logging to a huge mapping: the shadow MMU drops the huge SPTE (drop_large_spte), the modelled TDP MMU splits it keeping the other pages (tdp_mmu_split_huge_page), so neighbours fault again on this host',
  shadowFlush:
    'shadow paging also requests flushes when it write-protects the guest page-table pages it shadows (account_shadowed) and when it links shadow pages; the model counts stage-2 flushes only',
  tdpCacheMiss: 'the TDP MMU allocates its page-table pages without the shadow-page hash, so it never counts mmu_cache_miss',
  mmioCaching:
    'with mmio_caching, repeated MMIO accesses take the MMIO SPTE path (handle_mmio_page_fault) without counting pf_taken or pf_emulate; the model counts every MMIO exit',
  noHugeHost: 'the host did not back the memory with huge pages (THP off or fragmented, or hugetlbfs short), so KVM mapped smaller pages than the model',
  no1g: 'the guest CPU has no 1 GiB pages (CPUID PDPE1GB), so the guest maps 2 MiB pages and shadow paging cannot map 1 GiB',
  nx: "the host's nx_huge_pages differs from the scenario's --nx-huge-pages, so executed huge pages are mapped differently",
  prefaultUnsupported:
    'this host has no KVM_PRE_FAULT_MEMORY (it needs TDP: kvm_arch_vcpu_pre_fault_memory refuses shadow paging with EOPNOTSUPP; ENOTTY before Linux 6.11); the counters are compared with a model replay in which no pre-fault maps anything',
  tdpMaxLevel:
    "on a TDP host the guest's page size does not cap the stage-2 level (kvm_mmu_max_mapping_level looks at the host mapping only), so --max-level below --backing is not reproduced; KVM maps at the host page size",
  dirtyLog: 'pages KVM_GET_DIRTY_LOG reported dirty at a DIRTY_LOG_GET/CLEAR row (the pages it harvests) or when logging stopped (line 0: still on at the end)',
} as const;

/** `-95` → `-95 (EOPNOTSUPP)` for the errno values pre-fault gives. */
export function errnoText(result: number): string {
  const names: Record<number, string> = {
    0: '0',
    [-95]: '-95 (EOPNOTSUPP)',
    [-25]: '-25 (ENOTTY)',
    [-22]: '-22 (EINVAL)',
    [-2]: '-2 (ENOENT)',
    [-4]: '-4 (EINTR)',
    [-14]: '-14 (EFAULT)',
    [-11]: '-11 (EAGAIN)',
  };
  return names[result] ?? String(result);
}

function pair(model: string, kernel: string, modelValue: number, kernelValue: number, explainedBy: string[]): ValidationRow {
  const same = modelValue === kernelValue;
  if (explainedBy.length > 0) return { model, kernel, modelValue, kernelValue, status: same ? 'agree' : 'explained', note: explainedBy.join('; ') };
  return { model, kernel, modelValue, kernelValue, status: same ? 'agree' : 'differ', note: '' };
}

/**
 * Model versus kernel, one row per pair, in a fixed order. `model` is the
 * replay the counters are compared with (the host-equivalent one when the
 * host cannot pre-fault); `modelPrefaults` are the model's pre-fault calls
 * of the scenario as given.
 */
export function compareCounters(
  model: CellResult,
  kernel: KernelCounters,
  ctx: CompareContext,
  modelPrefaults: readonly PrefaultCallRecord[],
  kernelPrefaults: readonly KernelPrefaultCall[],
  dirtyLogs: readonly KernelDirtyLog[],
  modelDirty: ReadonlyMap<string, number> = new Map(),
): ValidationRow[] {
  const t = model.total;
  const shadow = ctx.mode === 'shadow';
  // 1. Known reasons for the mapping counters to differ on this host.
  const mapping: string[] = [];
  // The 1 GiB fallback matters only where the host could back 1 GiB pages.
  if (ctx.guestPageBytes < ctx.guestPageAskedBytes && ctx.hostPageBytes > ctx.guestPageBytes) mapping.push(NOTES.no1g);
  const wantsHuge = ctx.hostPageBytes >= MIB2 && ctx.guestPageBytes >= MIB2;
  if (wantsHuge && ctx.hostHugeBytes === 0) mapping.push(NOTES.noHugeHost);
  if (shadow && ctx.dirtyLogging && wantsHuge) mapping.push(NOTES.shadowDirtyHuge);
  if (ctx.nxMismatch) mapping.push(NOTES.nx);
  if (!shadow && ctx.guestPageAskedBytes < ctx.hostPageBytes) mapping.push(NOTES.tdpMaxLevel);
  const mmio = ctx.mmioCaching && t.faults_mmio > 0 ? [NOTES.mmioCaching] : [];
  const rows: ValidationRow[] = [
    pair('faults_missing + faults_permission', 'pf_fixed', t.faults_missing + t.faults_permission, kernel.pf_fixed, mapping),
    pair('faults_permission', 'pf_fast', t.faults_permission, kernel.pf_fast, shadow ? [NOTES.shadowFast, ...mapping] : mapping),
    pair('faults_spurious', 'pf_spurious', t.faults_spurious, kernel.pf_spurious, []),
    pair('faults_mmio', 'pf_emulate', t.faults_mmio, kernel.pf_emulate, mmio),
    pair('faults (all kinds)', 'pf_taken', t.faults, kernel.pf_taken, [...mapping, ...mmio]),
    pair('pages_4k', 'pages_4k', model.vm.pages_4k, kernel.pages_4k, mapping),
    pair('pages_2m', 'pages_2m', model.vm.pages_2m, kernel.pages_2m, mapping),
    pair('pages_1g', 'pages_1g', model.vm.pages_1g, kernel.pages_1g, mapping),
    pair('mmu_pages', 'mmu_cache_miss', model.vm.mmu_pages, kernel.mmu_cache_miss, !shadow && ctx.tdpMmu ? [NOTES.tdpCacheMiss] : mapping),
    pair('flush_requests', 'remote_tlb_flush_requests', model.vm.flush_requests, kernel.remote_tlb_flush_requests, shadow ? [NOTES.shadowFlush] : mapping),
    pair('nx_lpage_splits', 'nx_lpage_splits', model.vm.nx_lpage_splits, kernel.nx_lpage_splits, ctx.nxMismatch ? [NOTES.nx] : []),
  ];
  // 2. Each pre-fault call: the model's answer beside the kernel's.
  const calls = Math.max(modelPrefaults.length, kernelPrefaults.length);
  for (let i = 0; i < calls; i++) {
    const m = modelPrefaults[i];
    const k = kernelPrefaults[i];
    const where = (m ?? k)!;
    const name = `KVM_PRE_FAULT_MEMORY line ${where.line} [0x${where.gpa.toString(16)}, +0x${where.sizeBytes.toString(16)})`;
    const unsupported = k !== undefined && (k.result === -95 || k.result === -25);
    const row: ValidationRow = {
      model: name,
      kernel: 'ioctl result',
      modelValue: m === undefined ? '-' : errnoText(m.result),
      kernelValue: k === undefined ? '-' : errnoText(k.result),
      status: m !== undefined && k !== undefined && m.result === k.result ? 'agree' : unsupported ? 'explained' : 'differ',
      note: unsupported ? NOTES.prefaultUnsupported : '',
    };
    rows.push(row);
  }
  // 3. Dirty logs: each read beside the model's dirty bitmap at the same row (kernel figure only when the model has none).
  for (const d of dirtyLogs) {
    const name = `dirty pages, memslot ${d.slot}, line ${d.line}`;
    const modelPages = modelDirty.get(dirtyReadKey(d.line, d.slot));
    if (modelPages === undefined) rows.push({ model: '-', kernel: name, modelValue: '-', kernelValue: d.dirtyPages, status: 'info', note: NOTES.dirtyLog });
    else
      rows.push({
        ...pair(`dirty pages, memslot ${d.slot}, line ${d.line}`, 'KVM_GET_DIRTY_LOG', modelPages, d.dirtyPages, mapping),
        note: mapping.length > 0 ? mapping.join('; ') : NOTES.dirtyLog,
      });
  }
  return rows;
}

/** True when no pair that must agree differs. */
export function allAgree(rows: readonly ValidationRow[]): boolean {
  return rows.every((r) => r.status !== 'differ');
}
