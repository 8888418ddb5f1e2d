/**
 * `--prefault-flags`: seed 002's KVM_MAP_MEMORY access flags, turned into
 * the fault's error code (`kvm_arch_vcpu_map_memory`): WRITE
 * (`PFERR_WRITE_MASK`), EXEC (`PFERR_FETCH_MASK`), USER (`PFERR_USER_MASK`),
 * PRIVATE (`PFERR_PRIVATE_ACCESS`). `auto` (the default) is merged
 * KVM_PRE_FAULT_MEMORY: `kvm_arch_vcpu_pre_fault_memory` faults with
 * `PFERR_GUEST_FINAL_MASK` only (a read), private where the GFN is private.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { SCENARIO_COLUMNS, scenarioColumnValues } from '../src/replay/scenario.js';

const HEADER = 'vcpu,op,gpa,size,x_slot\n';
const MiB = 1 << 20;
const SLOT = [{ gpa: 0, sizeBytes: 4 * MiB }];

describe('pre-fault access flags (seed 002)', () => {
  it('write: a page write-protected by dirty logging is made writable, so the guest write does not fault', async () => {
    // R maps 0x1000 (1 fault); DIRTY_LOG_ON write-protects it; the pre-fault; then W 0x1000.
    const csv = `${HEADER}0,R,0x1000,8,\n0,DIRTY_LOG_ON,0x0,,0\n0,PREFAULT,0x1000,0x1000,\n0,W,0x1000,8,\n`;
    // auto (a read): the page is present and readable, the step is spurious; W takes the permission fault.
    const read = await replayText(csv, { backing: '4k' }, SLOT);
    expect([read.total.faults_missing, read.total.faults_permission]).toEqual([1, 1]);
    // write: the step is the permission fault (fast_page_fault), not a guest fault; W hits.
    const write = await replayText(csv, { backing: '4k', prefaultFlags: 'write' }, SLOT);
    expect([write.total.faults_missing, write.total.faults_permission]).toEqual([1, 0]);
    expect([write.total.prefault_calls, write.total.prefault_errors, write.total.prefault_pages]).toEqual([1, 0, 0]);
  });

  it('exec under NX huge pages: 4K executable leaves instead of one non-executable 2M leaf', async () => {
    const csv = `${HEADER}0,PREFAULT,0x0,0x200000,\n0,X,0x1000,,\n`;
    // auto: one 2M leaf without EXEC (NX); X splits it to 4K (kvm_mmu_hugepage_adjust refuses huge for exec).
    const read = await replayText(csv, { backing: '2m', nxHugePages: 'on' }, SLOT);
    expect([read.vm.pages_2m, read.vm.pages_4k, read.total.faults_permission, read.vm.nx_lpage_splits]).toEqual([0, 512, 1, 1]);
    // exec: each step is an exec fault, so 4K (huge_page_disallowed): 512 steps, one NX-flagged table; X hits.
    const exec = await replayText(csv, { backing: '2m', nxHugePages: 'on', prefaultFlags: 'exec' }, SLOT);
    expect([exec.vm.pages_2m, exec.vm.pages_4k, exec.total.faults, exec.vm.nx_lpage_splits]).toEqual([0, 512, 0, 1]);
    expect([exec.total.prefault_calls, exec.total.prefault_pages]).toEqual([1, 512]);
  });

  it('private: -EINVAL on a VM without private memory (kvm_arch_has_private_mem false)', async () => {
    const r = await replayText(`${HEADER}0,PREFAULT,0x0,0x1000,\n`, { backing: '4k', prefaultFlags: 'private' }, SLOT);
    expect(r.prefaultCalls.map((c) => [c.result, c.remainingBytes])).toEqual([[-22, 0x1000]]);
    expect(r.vm.pages_4k).toBe(0);
  });

  it('private vs shared on a guest_memfd slot: the matching access maps, the other is -EFAULT', async () => {
    const slots = [{ gpa: 0, sizeBytes: 4 * MiB, private: true }];
    const csv = `${HEADER}0,PREFAULT,0x0,0x1000,\n`;
    const priv = await replayText(csv, { backing: '4k', prefaultFlags: 'private' }, slots);
    expect(priv.prefaultCalls.map((c) => c.result)).toEqual([0]);
    expect([priv.vm.pages_private, priv.vm.pages_4k]).toEqual([1, 1]);
    // none: a shared access to a private GFN (kvm_mmu_faultin_pfn: attribute mismatch, a memory fault exit).
    const shared = await replayText(csv, { backing: '4k', prefaultFlags: 'none' }, slots);
    expect(shared.prefaultCalls.map((c) => [c.result, c.remainingBytes])).toEqual([[-14, 0x1000]]);
    expect(shared.vm.pages_4k).toBe(0);
  });

  it('x86-tdx: a shared access is -EFAULT on TD memory; a private one maps in the private table, not the shared alias', async () => {
    const csv = `${HEADER}0,PREFAULT,0x0,0x1000,\n`;
    const shared = await replayText(csv, { arch: 'x86-tdx', backing: '4k', prefaultFlags: 'write' }, SLOT);
    expect(shared.prefaultCalls.map((c) => c.result)).toEqual([-14]);
    const priv = await replayText(csv, { arch: 'x86-tdx', backing: '4k', prefaultFlags: 'write+private' }, SLOT);
    expect(priv.prefaultCalls.map((c) => c.result)).toEqual([0]);
    expect([priv.vm.pages_private, priv.vm.pages_shared]).toEqual([1, 0]);
  });

  it('user changes no stage-2 leaf: the same mapping as none', async () => {
    const csv = `${HEADER}0,PREFAULT,0x0,0x200000,\n`;
    const none = await replayText(csv, { backing: '2m', prefaultFlags: 'none' }, SLOT);
    const user = await replayText(csv, { backing: '2m', prefaultFlags: 'user' }, SLOT);
    expect([user.vm.pages_2m, user.total.prefault_pages]).toEqual([1, 512]);
    expect([user.vm.pages_2m, user.total.prefault_pages]).toEqual([none.vm.pages_2m, none.total.prefault_pages]);
  });

  it('the option: a comma list of flag sets, named in the scenario and its column; auto off x86', () => {
    const scenarios = parseMatrix({ prefault: 'none', prefaultFlags: 'auto,exec+write' });
    expect(scenarios.map((s) => s.name)).toEqual([
      'x86-tdp max=1g backing=2m prefault=none tlb=1536x12',
      'x86-tdp max=1g backing=2m prefault=none tlb=1536x12 prefault-flags=write+exec',
    ]);
    const column = SCENARIO_COLUMNS.indexOf('prefault_flags');
    // Appended after dic (results.csv columns only ever grow at the end of their group).
    expect(column).toBe(SCENARIO_COLUMNS.indexOf('dic') + 1);
    expect(scenarios.map((s) => scenarioColumnValues(s)[column])).toEqual(['auto', 'write+exec']);
    expect(parseMatrix({ arch: 'arm64', prefault: 'none', prefaultFlags: 'write' }).map((s) => s.prefaultFlags)).toEqual(['auto']);
    expect(() => parseMatrix({ prefaultFlags: 'write+write' })).toThrow('--prefault-flags: "write+write" names write twice');
  });
});
