/** Reading the runner's JSON and summing its statistics' differences (pure). */
import { describe, expect, it } from 'vitest';
import { kernelCounters, parseRunnerOutput } from '../src/validate/runnerOutput.js';

const OUTPUT = {
  runner: 1,
  guestPageBytes: 4096,
  guestPageAskedBytes: 4096,
  guestPdpe1gb: false,
  hostPageBytes: 4096,
  hostHugeBytes: 0,
  capPreFaultMemory: false,
  slotZapAllQuirkDisabled: true,
  manualDirtyProtect: true,
  prefault: [{ line: 5, vcpu: 0, gpa: 1048576, sizeBytes: 65536, result: -95, remainingBytes: 65536 }],
  dirtyLog: [{ line: 9, slot: 0, dirtyPages: 3 }],
  excluded: { vm: {}, vcpus: [{}, {}] },
  vm: { remote_tlb_flush_requests: 5, mmu_cache_miss: 3, pages_4k: 4, pages_2m: 0, pages_1g: 0 },
  vcpus: [
    { pf_taken: 3, pf_fixed: 3, pf_spurious: 0, pf_fast: 0, exits: 9 },
    { pf_taken: 2, pf_fixed: 1, pf_emulate: 1, exits: 4 },
  ],
};

describe('runner output', () => {
  it('vCPU statistics are summed over vCPUs, VM ones taken as they are, absent ones 0', () => {
    const k = kernelCounters(parseRunnerOutput(JSON.stringify(OUTPUT)));
    expect(k.pf_taken).toBe(5);
    expect(k.pf_fixed).toBe(4);
    expect(k.pf_emulate).toBe(1);
    expect(k.pf_fast).toBe(0);
    expect(k.pages_4k).toBe(4);
    expect(k.mmu_cache_miss).toBe(3);
    expect(k.remote_tlb_flush_requests).toBe(5);
    expect(k.nx_lpage_splits).toBe(0);
  });

  it('pre-fault answers and dirty logs are kept as the runner gave them', () => {
    const o = parseRunnerOutput(JSON.stringify(OUTPUT));
    expect(o.prefault[0].result).toBe(-95);
    expect(o.dirtyLog).toEqual([{ line: 9, slot: 0, dirtyPages: 3 }]);
  });

  it('sysRewarms (the runner mapping its own memslot again after a zap-all) is read, 0 from a runner without it', () => {
    expect(parseRunnerOutput(JSON.stringify({ ...OUTPUT, sysRewarms: 2 })).sysRewarms).toBe(2);
    expect(parseRunnerOutput(JSON.stringify(OUTPUT)).sysRewarms).toBe(0);
    expect(() => parseRunnerOutput(JSON.stringify({ ...OUTPUT, sysRewarms: 'x' }))).toThrow('field sysRewarms is missing or malformed');
  });

  it('a missing or malformed field is named', () => {
    expect(() => parseRunnerOutput(JSON.stringify({ ...OUTPUT, vcpus: [] }))).toThrow('field vcpus is missing or malformed');
    expect(() => parseRunnerOutput(JSON.stringify({ ...OUTPUT, vm: { pages_4k: 'x' } }))).toThrow('field vm is missing or malformed');
  });
});
