/**
 * AT rows under `--threads per-vcpu`: the worker runs the vCPU's own AT
 * emulation over the shared stage-2, so one vCPU gives exactly the
 * deterministic replay's counters (as test/replay-per-vcpu-equivalence.test.ts
 * checks for the other rows), and the numbers are the hand-checked ones.
 */
import { describe, expect, it } from 'vitest';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { replayCell } from '../src/replay/replayCell.js';
import { setupPerVcpuCell } from '../src/replay/perVcpu/setupPerVcpuCell.js';
import { replayVcpu } from '../src/replay/perVcpu/replayVcpu.js';
import { checkFinalTable, mergeCell } from '../src/replay/perVcpu/runPerVcpu.js';
import type { VcpuRunCounters } from '../src/replay/perVcpu/perVcpuCell.js';
import { traceFromText } from './helpers/traceFromText.js';

/*
 * Default slot [0, 1 GiB), --backing 4k, --guest-levels 4: the guest tables of
 * VA 0x1000 are 0x3ffff000, 0x3fffe000, 0x3fffd000 and the PT 0x3fffc000.
 */
const TRACE = [
  'vcpu,op,gpa,size,x_at',
  '0,R,0x1000,8,', // maps 0x1000 and, through the 2D walk, the four table pages
  '0,AT,0x1000,,S1E1RP', // fast, two EL0 translations
  '0,UNMAP,0x3fffc000,0x1000,', // evicts the PT page
  '0,AT,0x1000,,S1E1R', // slow: 4 reads, the PT page faults back (1)
  '0,AT,0x1000,,S1E2W', // fast again
].join('\n');

describe('AT rows under --threads per-vcpu', () => {
  it('one vCPU, arm64: every counter equals the deterministic replay, and the AT numbers are the hand-checked ones', async () => {
    const trace = await traceFromText(TRACE);
    const layout = { memslots: [], defaultSlotAlignBytes: 1 << 30 };
    const [scenario] = parseMatrix({ arch: 'arm64', backing: '4k', guestLevels: '4', prefault: 'none' });
    const deterministic = replayCell(trace, scenario, layout);
    const setup = setupPerVcpuCell(trace, scenario, layout);
    const counters = setup.indices.map((indices, vcpu): VcpuRunCounters => {
      const outcome = replayVcpu({ cell: setup.cell, vcpu, traceName: trace.name, tracePath: trace.path, events: trace.events, indices }, { gate: false });
      if (!outcome.ok) throw new Error(outcome.message);
      return outcome.counters;
    });
    const perVcpu = mergeCell(setup, counters, 0);
    expect(checkFinalTable(setup, perVcpu)).toBeUndefined();
    expect(perVcpu.vm).toEqual(deterministic.vm);
    expect(perVcpu.vcpus).toEqual(deterministic.vcpus);
    const t = perVcpu.vcpus[0];
    expect([t.at_ops, t.at_fast, t.at_slow, t.at_pan_checks, t.at_walk_reads, t.at_faults]).toEqual([3, 2, 1, 2, 4, 1]);
  });
});
