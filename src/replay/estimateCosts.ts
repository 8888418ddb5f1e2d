/**
 * Estimated stage-2 time of a cell: its counters priced by a cost profile
 * (src/replay/costProfile.ts). A pure function of the counters and the
 * profile, so as deterministic as the counters; every part is rounded to
 * whole ns and the total is the sum of the rounded parts. The formulas,
 * with the approximations the counters force, are in docs/report-format.md
 * ("Estimated time").
 */
import type { CellOutcome, CellResult } from './results.js';
import type { CostProfile } from './costProfile.js';
import { Level, pagesPerLevel } from '../mmu/level.js';

/** The estimate columns, in results.csv order: the total, then its parts. */
export const ESTIMATE_NAMES = ['est_stage2_ns', 'est_fault_ns', 'est_prefault_ns', 'est_walk_ns', 'est_flush_ns', 'est_hypercall_ns', 'est_split_ns'] as const;
export type EstimateName = (typeof ESTIMATE_NAMES)[number];
export type CostEstimates = Record<EstimateName, number>;

/** Frames of a 2M and a 1G leaf. */
const FRAMES_2M = pagesPerLevel(Level.L2M);
const FRAMES_1G = pagesPerLevel(Level.L1G);

/** A counter of the cell (total over vCPUs, else VM-wide), or `undefined` when the model does not count it. */
function counter(cell: CellResult, name: string): number | undefined {
  const total = (cell.total as Record<string, number | undefined>)[name];
  if (typeof total === 'number') return total;
  const vm = (cell.vm as Record<string, number | undefined>)[name];
  return typeof vm === 'number' ? vm : undefined;
}

/**
 * Missing-mapping faults by level. Exact from `faults_missing_4k/2m/1g`
 * when the model counts them; else the approximation: each 1G and 2M leaf
 * present at the end took one fault, 1G first, and the rest were 4K faults
 * (n1g = min(F, pages_1g), n2m = min(F - n1g, pages_2m), n4k = F - n1g - n2m).
 */
export function faultsByLevel(cell: CellResult): [number, number, number] {
  const exact = [counter(cell, 'faults_missing_4k'), counter(cell, 'faults_missing_2m'), counter(cell, 'faults_missing_1g')];
  if (exact.every((n) => n !== undefined)) return exact as [number, number, number];
  const faults = counter(cell, 'faults_missing') ?? 0;
  const n1g = Math.min(faults, counter(cell, 'pages_1g') ?? 0);
  const n2m = Math.min(faults - n1g, counter(cell, 'pages_2m') ?? 0);
  return [faults - n1g - n2m, n2m, n1g];
}

/**
 * Pre-fault steps by level. Exact from `prefault_leaves_4k/2m/1g` when the
 * model counts them; else from `prefault_pages` (4 KiB frames): as many 1G
 * leaves as it holds whole and the cell has at the end, then 2M the same
 * way, the remaining frames one 4K step each.
 */
export function prefaultStepsByLevel(cell: CellResult): [number, number, number] {
  const exact = [counter(cell, 'prefault_leaves_4k'), counter(cell, 'prefault_leaves_2m'), counter(cell, 'prefault_leaves_1g')];
  if (exact.every((n) => n !== undefined)) return exact as [number, number, number];
  let frames = counter(cell, 'prefault_pages') ?? 0;
  const s1g = Math.min(Math.floor(frames / FRAMES_1G), counter(cell, 'pages_1g') ?? 0);
  frames -= s1g * FRAMES_1G;
  const s2m = Math.min(Math.floor(frames / FRAMES_2M), counter(cell, 'pages_2m') ?? 0);
  frames -= s2m * FRAMES_2M;
  return [frames, s2m, s1g];
}

/** The estimates of one cell under `costs` (ns). */
export function estimateCosts(cell: CellResult, costs: CostProfile): CostEstimates {
  const n = (name: string): number => counter(cell, name) ?? 0;
  const [f4k, f2m, f1g] = faultsByLevel(cell);
  const [p4k, p2m, p1g] = prefaultStepsByLevel(cell);
  const parts = {
    est_fault_ns:
      f4k * costs.fault_missing_4k +
      f2m * costs.fault_missing_2m +
      f1g * costs.fault_missing_1g +
      n('faults_permission') * costs.fault_permission +
      n('faults_spurious') * costs.fault_spurious +
      n('faults_mmio') * costs.fault_mmio,
    est_prefault_ns: p4k * costs.prefault_4k + p2m * costs.prefault_2m + p1g * costs.prefault_1g,
    est_walk_ns: n('walk_refs') * costs.walk_ref + n('tlb_misses') * costs.tlb_miss,
    est_flush_ns: n('flushes_range') * costs.flush_range + n('flushes_full') * costs.flush_full + n('flush_ipis') * costs.flush_ipi,
    est_hypercall_ns: n('hypercalls') * costs.hypercall,
    est_split_ns: n('eager_splits') * costs.eager_split,
  };
  const rounded = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, Math.round(v)])) as Omit<CostEstimates, 'est_stage2_ns'>;
  const total = Object.values(rounded).reduce((a, b) => a + b, 0);
  return { est_stage2_ns: total, ...rounded };
}

/** Every successful outcome with its `estimates` under `costs` (failed ones as they are). */
export function withEstimates(outcomes: readonly CellOutcome[], costs: CostProfile): CellOutcome[] {
  return outcomes.map((o) => (o.ok ? { ok: true, result: { ...o.result, estimates: estimateCosts(o.result, costs) } } : o));
}
