/**
 * One KVM_PRE_FAULT_MEMORY call marks the frames it newly mapped
 * (`prefault_pages_unused`, prefaultFrames.ts) one run of adjacent frames at
 * a time, not one step at a time: the marks a per-vCPU worker logs are then
 * the runs, and the counts are those of marking each step.
 */
import { describe, expect, it } from 'vitest';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { vmOptionsFor } from '../src/replay/vmOptions.js';
import { prefaultModeOf } from '../src/replay/scenario.js';
import { Vm } from '../src/mmu/vm.js';
import { VcpuStats } from '../src/mmu/stats.js';
import { plainSlot } from '../src/mmu/memslots.js';
import { Level } from '../src/mmu/level.js';
import { AccessKind, type FlushSink } from '../src/mmu/vmOptions.js';
import { preFault } from '../src/mmu/preFault.js';

const NO_FLUSH: FlushSink = { requestFlush(): void {} };

function vm4k(): { vm: Vm; stats: VcpuStats; mode: ReturnType<typeof prefaultModeOf> } {
  const [scenario] = parseMatrix({ arch: 'x86-tdp', backing: '4k', prefault: 'none' });
  const vm = new Vm(vmOptionsFor(scenario), NO_FLUSH);
  vm.addSlot(plainSlot(0, 0, 512, Level.L4K));
  return { vm, stats: new VcpuStats(), mode: prefaultModeOf(scenario) };
}

describe('pre-fault marks runs of newly mapped frames', () => {
  it('16 frames with frames 5 and 9 mapped before: three runs, 14 frames unused', () => {
    const { vm, stats, mode } = vm4k();
    vm.translate(5, AccessKind.Read, stats); // guest faults: mapped, not pre-faulted
    vm.translate(9, AccessKind.Read, stats);
    vm.prefaulted.log = [];
    const call = preFault(vm, 0, 16 * 4096, mode, stats);
    expect(call.result).toBe(0);
    // Steps 5 and 9 are spurious (already mapped at 4K): [0, 5), [6, 9), [10, 16).
    expect(vm.prefaulted.log).toEqual([0, 5, 6, 3, 10, 6]);
    expect([stats.prefault_pages, vm.prefaulted.unused]).toEqual([14, 14]);
  });

  it('two calls are two runs even when adjacent (each call marks its own)', () => {
    const { vm, stats, mode } = vm4k();
    vm.prefaulted.log = [];
    preFault(vm, 0, 4 * 4096, mode, stats);
    preFault(vm, 4 * 4096, 4 * 4096, mode, stats);
    expect(vm.prefaulted.log).toEqual([0, 4, 4, 4]);
    expect(vm.prefaulted.unused).toBe(8);
  });

  it('a call that fails after progress marks what it mapped before the hole', () => {
    const { vm, stats, mode } = vm4k();
    vm.prefaulted.log = [];
    // The slot holds frames [0, 512): the last 2 of 4 requested frames lie beyond it (-ENOENT after progress: 0).
    const call = preFault(vm, 510 * 4096, 4 * 4096, mode, stats);
    expect([call.result, call.sizeBytes]).toEqual([0, 2 * 4096]);
    expect(vm.prefaulted.log).toEqual([510, 2]);
  });
});
