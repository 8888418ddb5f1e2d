/**
 * What a `--threads per-vcpu` run adds to its output: the run.json fields of
 * the mode and the one line `run` prints (install races and spurious faults
 * over all cells). Presentation only; the counts come from each cell's
 * `perVcpu` record (replay/perVcpu/runPerVcpu.ts).
 */
import type { CellOutcome } from '../replay/results.js';
import type { PerVcpuCellResult } from '../replay/perVcpu/runPerVcpu.js';

/** run.json fields of a per-vCPU run: the mode, and whether every cell was deterministic (one vCPU). */
export function perVcpuRunInfo(outcomes: readonly CellOutcome[]): { threadMode: 'per-vcpu'; deterministic: boolean } {
  return { threadMode: 'per-vcpu', deterministic: outcomes.every((o) => !o.ok || o.result.vcpus.length <= 1) };
}

/** The line `run` prints after a per-vCPU run: races seen over all cells. */
export function perVcpuSummary(outcomes: readonly CellOutcome[]): string {
  let races = 0;
  let spurious = 0;
  for (const o of outcomes) {
    if (!o.ok) continue;
    const report = (o.result as Partial<PerVcpuCellResult>).perVcpu;
    races += report?.install_races ?? 0;
    spurious += report?.faults_spurious ?? 0;
  }
  const deterministic = perVcpuRunInfo(outcomes).deterministic;
  return `mmubench: per-vcpu threads: ${races} install races, ${spurious} spurious faults${deterministic ? '' : ' (timing-dependent counts are not deterministic)'}\n`;
}
