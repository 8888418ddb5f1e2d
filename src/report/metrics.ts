/**
 * Metrics by name. Every chart, table and comparison looks counters up here
 * by name, so the report keeps working as the engine adds counters to
 * `VCPU_COUNTER_NAMES` / `VM_COUNTER_NAMES`: a metric a result does not have
 * is `undefined`, never a crash.
 */
import { Level, levelSizeBytes } from '../mmu/level.js';
import type { CellResult } from '../replay/results.js';

/** A cell's total (all-vCPU) counter, else its VM-wide counter, else its estimate (`est_*`), else `undefined`. */
export function cellMetric(cell: CellResult, name: string): number | undefined {
  const total = (cell.total as Record<string, number | undefined>)[name];
  if (typeof total === 'number') return total;
  const vm = (cell.vm as Record<string, number | undefined>)[name];
  if (typeof vm === 'number') return vm;
  const estimate = (cell.estimates as Record<string, number | undefined> | undefined)?.[name];
  return typeof estimate === 'number' ? estimate : undefined;
}

/** Every numeric metric of a cell: total counters first (in stored order), then VM-wide ones, then the estimates. */
export function cellMetricNames(cell: CellResult): string[] {
  const names: string[] = [];
  for (const group of [cell.total, cell.vm, cell.estimates ?? {}] as Record<string, unknown>[]) {
    for (const [name, value] of Object.entries(group)) if (typeof value === 'number' && !names.includes(name)) names.push(name);
  }
  return names;
}

/** True when at least one cell has the metric. */
export function hasMetric(cells: readonly CellResult[], name: string): boolean {
  return cells.some((cell) => cellMetric(cell, name) !== undefined);
}

/** Sum of a metric over the cells that have it; `undefined` when none has it. */
export function sumMetric(cells: readonly CellResult[], name: string): number | undefined {
  let sum: number | undefined;
  for (const cell of cells) {
    const value = cellMetric(cell, name);
    if (value !== undefined) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** Bytes mapped at the end of replay by each leaf size (from `pages_4k/2m/1g`; a missing counter is 0). */
export function mappedBytesByLevel(cell: CellResult): { bytes4k: number; bytes2m: number; bytes1g: number } {
  return {
    bytes4k: (cellMetric(cell, 'pages_4k') ?? 0) * levelSizeBytes(Level.L4K),
    bytes2m: (cellMetric(cell, 'pages_2m') ?? 0) * levelSizeBytes(Level.L2M),
    bytes1g: (cellMetric(cell, 'pages_1g') ?? 0) * levelSizeBytes(Level.L1G),
  };
}

/**
 * Huge-page coverage: the share of mapped bytes in 2 MiB and 1 GiB leaves at
 * the end of replay, from 0 to 1; `undefined` when nothing is mapped.
 */
export function hugeCoverage(cells: readonly CellResult[]): number | undefined {
  let huge = 0;
  let all = 0;
  for (const cell of cells) {
    const { bytes4k, bytes2m, bytes1g } = mappedBytesByLevel(cell);
    huge += bytes2m + bytes1g;
    all += bytes4k + bytes2m + bytes1g;
  }
  return all === 0 ? undefined : huge / all;
}

/** Relative change of `to` over `from` in %, or `undefined` when `from` is 0 (and `to` is not). */
export function percentChange(from: number, to: number): number | undefined {
  if (from === to) return 0;
  if (from === 0) return undefined;
  return ((to - from) / Math.abs(from)) * 100;
}
