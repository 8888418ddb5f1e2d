/**
 * The vCPU side of `--threads per-vcpu`, in one thread: two vCPUs' worker
 * states (`vcpuWorkerState`: the model's `Vm` over the shared store, a
 * `VcpuAccessPath`, a flush mailbox) on one cell, stepped by hand, so a flush
 * request or a race happens exactly where the test puts it. `step` does what
 * the worker loop does before each event: service the mailbox.
 */
import { describe, expect, it } from 'vitest';
import { parseMatrix, type RawMatrixOptions } from '../src/replay/parseMatrix.js';
import { replayCell } from '../src/replay/replayCell.js';
import { setupPerVcpuCell } from '../src/replay/perVcpu/setupPerVcpuCell.js';
import { replayVcpu, vcpuWorkerState, type VcpuWorkerState } from '../src/replay/perVcpu/replayVcpu.js';
import { mergeCell, perVcpuThreads } from '../src/replay/perVcpu/runPerVcpu.js';
import type { VcpuRunCounters } from '../src/replay/perVcpu/perVcpuCell.js';
import { AccessKind } from '../src/mmu/vmOptions.js';
import { unmapGfnRange, writeProtectGfnRange } from '../src/mmu/hostEvents.js';
import { issuePrefault } from '../src/replay/issuePrefault.js';
import type { PrefaultCallRecord } from '../src/replay/results.js';
import { readCsvTrace } from '../src/trace/csvTraceReader.js';
import { traceFromText } from './helpers/traceFromText.js';

const LAYOUT = { memslots: [], defaultSlotAlignBytes: 1 << 30 };

async function cellFor(csv: string, matrix: RawMatrixOptions) {
  const trace = await traceFromText(csv);
  const [scenario] = parseMatrix({ prefault: 'none', ...matrix });
  const setup = setupPerVcpuCell(trace, scenario, LAYOUT);
  return { trace, scenario, setup, vcpus: [vcpuWorkerState(setup.cell, 0), vcpuWorkerState(setup.cell, 1)] };
}

/** One guest access on `v`, after servicing its mailbox as the worker loop does. */
function access(v: VcpuWorkerState, kind: AccessKind, gpa: number, sizeBytes: number): void {
  v.mailbox.service();
  v.path.access(kind, gpa, sizeBytes);
}

/** A PREFAULT row on `v` (upstream policy). */
function prefault(v: VcpuWorkerState, line: number, gpa: number, sizeBytes: number, calls: PrefaultCallRecord[]): void {
  v.mailbox.service();
  issuePrefault(v.vm, { policy: 'upstream', flags: 'auto' }, v.path.stats, v.path.vcpu, line, gpa, sizeBytes, calls);
}

/** A trace declaring two vCPUs, with a row that touches GPA 1 GiB - 8 so the default slot spans 1 GiB. */
const TWO_VCPUS = 'vcpu,op,gpa,size\n0,R,0x0,8\n1,R,0x3ffffff8,8\n';

describe('VcpuReplayer', () => {
  it('an UNMAP on vCPU 0 reaches vCPU 1 through its request word before its next access', async () => {
    const { vcpus } = await cellFor(TWO_VCPUS, { backing: '4k' });
    const [v0, v1] = vcpus;
    access(v0, AccessKind.Read, 0x1000, 8);
    access(v1, AccessKind.Read, 0x1000, 8);
    expect(v1.path.stats.faults, 'vCPU 1 found vCPU 0’s mapping: a TLB miss and a walk, no fault').toBe(0);
    expect(v1.path.stats.tlb_misses).toBe(1);
    unmapGfnRange(v0.vm, 0x1, 0x2);
    expect(v0.vm.stats.flush_requests, 'one kvm_flush_remote_tlbs').toBe(1);
    expect(v0.vm.stats.flushes_full, 'x86: a full flush').toBe(1);
    expect(v0.vm.stats.flush_ipis, 'IPIs to both vCPUs').toBe(2);
    expect(v0.path.stats.tlb_flushes, 'the requester flushed its own TLB at once').toBe(1);
    expect(v1.path.stats.tlb_flushes, 'vCPU 1 has not looked at its word yet').toBe(0);
    access(v1, AccessKind.Read, 0x1000, 8);
    expect(v1.path.stats.tlb_flushes, 'vCPU 1 flushed its own TLB before the access').toBe(1);
    expect(v1.vm.stats.tlb_entries_flushed, 'its one entry').toBe(1);
    expect(v1.path.stats.faults_missing, 'and faulted the page back in').toBe(1);
  });

  it('arm64: exec after another vCPU’s read fault is a permission fault that adds exec', async () => {
    const { vcpus } = await cellFor(TWO_VCPUS, { arch: 'arm64', backing: '4k' });
    const [v0, v1] = vcpus;
    access(v0, AccessKind.Read, 0x5000, 8);
    access(v1, AccessKind.Exec, 0x5008, 4);
    expect(v0.path.stats.faults_missing).toBe(1);
    expect(v1.path.stats.faults_permission, 'arm64 maps executable only on exec faults').toBe(1);
    expect(v1.path.stats.faults_missing).toBe(0);
  });

  it('WRPROTECT on vCPU 1 makes vCPU 0’s next write a permission fault', async () => {
    const { vcpus } = await cellFor(TWO_VCPUS, { backing: '4k' });
    const [v0, v1] = vcpus;
    access(v0, AccessKind.Write, 0x2000, 8);
    writeProtectGfnRange(v1.vm, 0x0, 0x10);
    access(v0, AccessKind.Write, 0x2000, 8);
    expect(v0.path.stats.faults_missing).toBe(1);
    expect(v0.path.stats.faults_permission, 'fast_page_fault restores write').toBe(1);
    expect(v1.vm.stats.flushes_full, 'x86 bare metal: the range flush is full').toBe(1);
  });

  it('a PREFAULT row maps for every vCPU; the same row on the other vCPU finds it done', async () => {
    const { vcpus } = await cellFor(TWO_VCPUS, { backing: '4k' });
    const [v0, v1] = vcpus;
    const calls: PrefaultCallRecord[] = [];
    prefault(v0, 7, 0x0, 0x200000, calls);
    expect(calls, 'one ioctl covers 2 MiB of 4K pages').toEqual([{ vcpu: 0, line: 7, gpa: 0, sizeBytes: 0x200000, result: 0, remainingBytes: 0 }]);
    expect(v0.path.stats.prefault_pages).toBe(512);
    expect(v0.vm.stats.pages_4k).toBe(512);
    prefault(v1, 8, 0x0, 0x200000, calls);
    expect(calls[1].result, 'already mapped: success').toBe(0);
    expect(v1.path.stats.prefault_pages, 'nothing new from vCPU 1').toBe(0);
    access(v1, AccessKind.Read, 0x1000, 8);
    expect(v1.path.stats.faults, 'vCPU 1 reads a pre-faulted page without a fault').toBe(0);
    prefault(v1, 9, 0x40000000, 0x1000, calls);
    expect(calls[2], 'beyond the 1 GiB default slot').toMatchObject({ result: -2, remainingBytes: 0x1000 });
    expect(v1.path.stats.prefault_errors).toBe(1);
  });

  it.each([
    ['x86-tdp', 'none'],
    ['x86-tdp', 'all'],
    ['arm64', 'none'],
    ['arm64', 'all'],
  ])('one vCPU after the other gives exactly the deterministic result (traces/interleaved-2vcpu.csv, %s, prefault %s)', async (arch, prefault) => {
    const trace = await readCsvTrace('traces/interleaved-2vcpu.csv');
    const [scenario] = parseMatrix({ arch, prefault, backing: '4k' });
    const deterministic = replayCell(trace, scenario, LAYOUT);
    const setup = setupPerVcpuCell(trace, scenario, LAYOUT);
    const counters = setup.indices.map((indices, vcpu) => {
      const outcome = replayVcpu({ cell: setup.cell, vcpu, traceName: trace.name, tracePath: trace.path, events: trace.events, indices }, { gate: false });
      if (!outcome.ok) throw new Error(outcome.message);
      return outcome.counters as VcpuRunCounters;
    });
    const merged = mergeCell(setup, counters, 0);
    expect(merged.vm, 'every VM counter').toEqual(deterministic.vm);
    expect(merged.vcpus, 'every vCPU row').toEqual(deterministic.vcpus);
    expect(merged.prefaultCalls, 'the setup’s pre-fault calls').toEqual(deterministic.prefaultCalls);
    expect(merged.total.faults_missing, 'each vCPU streams over 10000 pages of its own half, 4K backing (none without pre-fault)').toBe(
      prefault === 'none' ? 20000 : 0,
    );
    expect(merged.perVcpu.install_races).toBe(0);
  });

  it('threads follow the vCPUs, at most 64', () => {
    expect(perVcpuThreads([1, 2])).toBe(2);
    expect(perVcpuThreads([300])).toBe(64);
  });
});
