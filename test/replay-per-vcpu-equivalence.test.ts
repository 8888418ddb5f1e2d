/**
 * `--threads per-vcpu` runs the model's own code (one `Vm`, one
 * `VcpuAccessPath` per vCPU) over the shared stage-2, so with one vCPU, or
 * with several on disjoint memory replayed one after the other, it must give
 * exactly the deterministic replay: every VM counter, every vCPU row and
 * every pre-fault call, on each arch it supports, each backing, pre-fault
 * none and all, read-only slots, each PFNMAP kind, dirty logging on and off,
 * UNMAP and WRPROTECT. A few cells are also checked against hand-counted
 * numbers, so that "equal" cannot mean "equally wrong".
 */
import { describe, expect, it } from 'vitest';
import { parseMatrix, type RawMatrixOptions } from '../src/replay/parseMatrix.js';
import { replayCell } from '../src/replay/replayCell.js';
import type { Layout } from '../src/replay/openCell.js';
import type { MemslotSpec } from '../src/replay/scenario.js';
import type { CellResult } from '../src/replay/results.js';
import { setupPerVcpuCell } from '../src/replay/perVcpu/setupPerVcpuCell.js';
import { replayVcpu } from '../src/replay/perVcpu/replayVcpu.js';
import { checkFinalTable, mergeCell } from '../src/replay/perVcpu/runPerVcpu.js';
import type { VcpuRunCounters } from '../src/replay/perVcpu/perVcpuCell.js';
import type { Trace } from '../src/trace/traceEvents.js';
import { traceFromText } from './helpers/traceFromText.js';

const GiB = 1 << 30;
const DEFAULT_LAYOUT: Layout = { memslots: [], defaultSlotAlignBytes: GiB };

/** The per-vCPU replay, each vCPU's worker run inline, one after the other (no timing involved). */
function perVcpuInline(trace: Trace, matrix: RawMatrixOptions, layout: Layout): CellResult {
  const [scenario] = parseMatrix({ prefault: 'none', ...matrix });
  const setup = setupPerVcpuCell(trace, scenario, layout, true);
  const counters = setup.indices.map((indices, vcpu): VcpuRunCounters => {
    const outcome = replayVcpu({ cell: setup.cell, vcpu, traceName: trace.name, tracePath: trace.path, events: trace.events, indices }, { gate: false });
    if (!outcome.ok) throw new Error(outcome.message);
    return outcome.counters;
  });
  const merged = mergeCell(setup, counters, 0);
  expect(checkFinalTable(setup, merged), 'the final shared table holds what the counters say').toBeUndefined();
  expect(merged.perVcpu.install_races, 'one vCPU at a time: no race').toBe(0);
  return merged;
}

/** Replay `csv` both ways under `matrix`; expect every counter equal; return the deterministic result. */
async function expectEquivalent(csv: string, matrix: RawMatrixOptions, memslots: MemslotSpec[] = []): Promise<CellResult> {
  const trace = await traceFromText(csv);
  const layout = { ...DEFAULT_LAYOUT, memslots };
  const [scenario] = parseMatrix({ prefault: 'none', ...matrix });
  const deterministic = replayCell(trace, scenario, layout, {}, { tlbReach: true });
  const perVcpu = perVcpuInline(trace, matrix, layout);
  expect(perVcpu.vm, 'every VM counter').toEqual(deterministic.vm);
  expect(perVcpu.vm.prefault_pages_unused, 'prefault_pages_unused (file order)').toBe(deterministic.vm.prefault_pages_unused);
  expect(perVcpu.tlbReach, 'the reach curve (per-vCPU curves summed)').toEqual(deterministic.tlbReach);
  expect(perVcpu.vcpus, 'every vCPU row').toEqual(deterministic.vcpus);
  expect(perVcpu.prefaultCalls, 'every pre-fault call').toEqual(deterministic.prefaultCalls);
  return deterministic;
}

/**
 * One vCPU: a read and a write in frame 1, exec of frame 2, a write in the
 * second 2 MiB, write-protect of the first 4 MiB, a write again (permission
 * fault), UNMAP of the second 2 MiB and a read there (missing again), a
 * PREFAULT row over [4 MiB, 6 MiB) and a read in it (no fault).
 */
const ONE_VCPU = [
  'vcpu,op,gpa,size',
  '0,R,0x1000,8',
  '0,W,0x1008,8',
  '0,X,0x2000,4',
  '0,W,0x201000,8',
  '0,WRPROTECT,0x0,0x400000',
  '0,W,0x1000,8',
  '0,UNMAP,0x200000,0x200000',
  '0,R,0x201000,8',
  '0,PREFAULT,0x400000,0x200000',
  '0,R,0x400000,8',
].join('\n');

describe('per-vCPU threads equal the deterministic replay', () => {
  for (const arch of ['x86-tdp', 'arm64']) {
    for (const backing of ['4k', '2m', '1g']) {
      for (const prefault of ['none', 'all']) {
        it(`one vCPU with WRPROTECT, UNMAP and PREFAULT rows: ${arch}, ${backing} backing, prefault ${prefault}`, async () => {
          await expectEquivalent(ONE_VCPU, { arch, backing, prefault });
        });
      }
    }
  }

  it('hand-checked: x86-tdp, 4K backing, no pre-fault', async () => {
    const r = await expectEquivalent(ONE_VCPU, { arch: 'x86-tdp', backing: '4k' });
    // Missing: frame 1 (R), frame 2 (X), frame 0x201 (W), frame 0x201 again after the UNMAP.
    expect(r.total.faults_missing).toBe(4);
    // The write to frame 1 after WRPROTECT: fast_page_fault restores write.
    expect(r.total.faults_permission).toBe(1);
    // The PREFAULT row maps [4 MiB, 6 MiB) as 512 4K leaves: 512 + frames 1, 2 and 0x201.
    expect([r.total.prefault_pages, r.vm.pages_4k]).toEqual([512, 515]);
    // Of the 512, the last read touches frame 0x400 only.
    expect(r.vm.prefault_pages_unused).toBe(511);
    // x86 bare metal: WRPROTECT and UNMAP are full flushes, by IPI (one vCPU each).
    expect([r.vm.flush_requests, r.vm.flushes_full, r.vm.flush_ipis]).toEqual([2, 2, 2]);
  });

  it('hand-checked: arm64, 2M backing, no pre-fault', async () => {
    const r = await expectEquivalent(ONE_VCPU, { arch: 'arm64', backing: '2m' });
    // Missing: the 2M leaf at 0 (R), the one at 2 MiB (W), the one at 2 MiB again after the UNMAP.
    expect(r.total.faults_missing).toBe(3);
    // arm64 maps exec only on exec faults: the X is a permission fault; so is the write after WRPROTECT.
    expect(r.total.faults_permission).toBe(2);
    // Three 2M leaves at the end (0, 2 MiB again, the pre-faulted 4 MiB one).
    expect(r.vm.pages_2m).toBe(3);
    // FEAT_TLBIRANGE: WRPROTECT and UNMAP are range operations (no IPI).
    expect([r.vm.flushes_range, r.vm.flushes_full, r.vm.flush_ipis]).toEqual([2, 0, 0]);
  });

  it('a read-only slot: writes exit to userspace (faults_mmio), reads map', async () => {
    const csv = 'vcpu,op,gpa,size\n0,R,0x1000,8\n0,W,0x2000,8\n0,W,0x1000,8\n';
    const r = await expectEquivalent(csv, { backing: '4k' }, [{ gpa: 0, sizeBytes: GiB, readOnly: true, source: 'test slot' }]);
    expect([r.total.faults_missing, r.total.faults_mmio]).toEqual([1, 2]);
  });

  for (const pfnmap of ['none', 'device', 'normal'] as const) {
    it(`arm64 PFNMAP ${pfnmap}: read, write and exec of one page`, async () => {
      const csv = 'vcpu,op,gpa,size\n0,R,0x1000,8\n0,W,0x1000,8\n0,X,0x1000,4\n';
      const r = await expectEquivalent(csv, { arch: 'arm64', backing: '4k', prefault: 'all' }, [{ gpa: 0, sizeBytes: 0x200000, pfnmap, source: 'test slot' }]);
      // Pre-fault maps the 512 pages read-write without exec; exec of Device memory injects an abort
      // (user_mem_abort -ENOEXEC -> kvm_inject_sea_iabt, no exit), else it is a permission fault.
      expect(r.vm.pages_device).toBe(pfnmap === 'device' ? 512 : 0);
      expect([r.total.faults_mmio, r.total.faults_abort, r.total.faults_permission]).toEqual(pfnmap === 'device' ? [0, 1, 0] : [0, 0, 1]);
    });
  }

  for (const arch of ['x86-tdp', 'arm64']) {
    for (const dirtyLogging of [true, false]) {
      it(`${arch}, dirty logging ${dirtyLogging ? 'on' : 'off'} on the slot, 2M backing, prefault all`, async () => {
        const csv = 'vcpu,op,gpa,size\n0,R,0x1000,8\n0,W,0x1000,8\n0,W,0x300000,8\n';
        const r = await expectEquivalent(csv, { arch, backing: '2m', prefault: 'all' }, [{ gpa: 0, sizeBytes: 0x400000, dirtyLogging, source: 'test slot' }]);
        // Logging maps 4K: 1024 leaves for the 4 MiB slot, else two 2M leaves.
        expect([r.vm.pages_4k, r.vm.pages_2m]).toEqual(dirtyLogging ? [1024, 0] : [0, 2]);
        // arm64 maps read-only while logging: each first write is a permission fault (two pages written).
        expect(r.total.faults_permission).toBe(dirtyLogging && arch === 'arm64' ? 2 : 0);
      });
    }
  }

  it('NX huge pages (x86): exec of a non-executable 2M leaf splits it under the read lock, as the deterministic replay', async () => {
    const csv = 'vcpu,op,gpa,size\n0,R,0x1000,8\n0,X,0x2000,4\n0,R,0x203000,8\n0,X,0x204000,4\n';
    const r = await expectEquivalent(csv, { arch: 'x86-tdp', backing: '2m', nxHugePages: 'on' });
    // Each read maps a non-executable 2M leaf (missing); each exec in it is a permission fault that splits
    // the leaf into 512 4K leaves in a table flagged NX (nx_lpage_splits): 2 + 2 faults, 1024 4K leaves.
    expect([r.total.faults_missing, r.total.faults_permission]).toEqual([2, 2]);
    expect([r.vm.pages_4k, r.vm.pages_2m, r.vm.nx_lpage_splits]).toEqual([1024, 0, 2]);
    // Tables: the 1G-level and 2M-level tables of the first read, then one 4K table per split.
    expect(r.vm.mmu_pages).toBe(4);
  });

  it('guest stage-1 walks (--guest-levels 4) on one vCPU', async () => {
    await expectEquivalent(ONE_VCPU, { backing: '4k', guestLevels: '4' });
  });

  it('two vCPUs on disjoint memory, each with a PREFAULT row, replayed one after the other', async () => {
    const rows = ['vcpu,op,gpa,size'];
    for (let page = 0; page < 64; page++) rows.push(`0,${page % 3 === 0 ? 'W' : 'R'},${'0x' + (page * 0x3000).toString(16)},8`);
    rows.push('1,PREFAULT,0x20000000,0x800000'); // 8 MiB: covers the 64 reads at a 68 KiB stride (4.25 MiB)
    for (let page = 0; page < 64; page++) rows.push(`1,R,${'0x' + (0x20000000 + page * 0x11000).toString(16)},8`);
    for (const arch of ['x86-tdp', 'arm64']) {
      for (const backing of ['4k', '2m']) {
        const r = await expectEquivalent(rows.join('\n'), { arch, backing, prefault: 'none' });
        // vCPU 1 reads only pre-faulted memory: no fault on vCPU 1.
        expect(r.vcpus[1].faults, `${arch} ${backing}`).toBe(0);
        // The row maps 8 MiB (2048 frames); the 64 reads touch 64 distinct frames of it.
        expect(r.vm.prefault_pages_unused, `${arch} ${backing}`).toBe(2048 - 64);
      }
    }
  });
});
