/**
 * What a `--threads per-vcpu` run adds to its output (src/cli/perVcpuSummary.ts):
 * run.json is marked deterministic only when every cell ran one vCPU, and the
 * printed line sums the cells' install races and spurious faults.
 */
import { describe, expect, it } from 'vitest';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { replayCell } from '../src/replay/replayCell.js';
import type { CellOutcome, CellResult } from '../src/replay/results.js';
import type { PerVcpuReport } from '../src/replay/perVcpu/runPerVcpu.js';
import { perVcpuRunInfo, perVcpuSummary } from '../src/cli/perVcpuSummary.js';
import { traceFromText } from './helpers/traceFromText.js';

const LAYOUT = { memslots: [], defaultSlotAlignBytes: 1 << 30 };
const TWO_VCPUS = 'vcpu,op,gpa,size\n0,R,0x0,8\n1,R,0x3ffffff8,8\n';

/** A cell outcome with a per-vCPU record of `races` install races and `spurious` spurious faults. */
function withRaces(result: CellResult, races: number, spurious: number): CellOutcome {
  const perVcpu: PerVcpuReport = {
    deterministic: result.vcpus.length <= 1,
    install_races: races,
    faults_spurious: spurious,
    mailbox_overflows: 0,
    frames_mapped: 0,
    vcpuElapsedMs: [],
  };
  return { ok: true, result: { ...result, perVcpu } as CellResult };
}

describe('per-vCPU run output', () => {
  it('run.json marks the run deterministic only when every cell ran one vCPU', async () => {
    const [scenario] = parseMatrix({ prefault: 'none' });
    const one = replayCell(await traceFromText(TWO_VCPUS.replace('1,R', '0,R')), scenario, LAYOUT);
    const two = replayCell(await traceFromText(TWO_VCPUS), scenario, LAYOUT);
    expect([one.vcpus.length, two.vcpus.length]).toEqual([1, 2]);
    expect(perVcpuRunInfo([{ ok: true, result: one }])).toEqual({ threadMode: 'per-vcpu', deterministic: true });
    expect(
      perVcpuRunInfo([
        { ok: true, result: one },
        { ok: true, result: two },
      ]),
    ).toEqual({ threadMode: 'per-vcpu', deterministic: false });
  });

  it('the printed line sums races and spurious faults over the finished cells and flags timing-dependent counts', async () => {
    const [scenario] = parseMatrix({ prefault: 'none' });
    const one = replayCell(await traceFromText(TWO_VCPUS.replace('1,R', '0,R')), scenario, LAYOUT);
    const two = replayCell(await traceFromText(TWO_VCPUS), scenario, LAYOUT);
    const failed: CellOutcome = { ok: false, trace: 't', scenario, error: { kind: 'crash', message: 'x' } };
    expect(perVcpuSummary([withRaces(one, 0, 0)])).toBe('mmubench: per-vcpu threads: 0 install races, 0 spurious faults\n');
    // 2 + 1 races, 3 + 4 spurious faults; the failed cell adds nothing; the second cell ran two vCPUs.
    expect(perVcpuSummary([withRaces(one, 2, 3), failed, withRaces(two, 1, 4)])).toBe(
      'mmubench: per-vcpu threads: 3 install races, 7 spurious faults (timing-dependent counts are not deterministic)\n',
    );
  });
});
