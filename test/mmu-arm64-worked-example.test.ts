/**
 * docs/model.md's arm64 worked example (`arm-vm.json`: 4 MiB of 2M-backed RAM at 0,
 * 2 MiB of Device PFNMAP at 1 GiB, 4 MiB of cacheable PFNMAP at 2 GiB), run as
 * written. The exec of Device memory is -ENOEXEC, an abort injected into the
 * guest (`faults_abort`), not an MMIO exit.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';
import { Level } from '../src/mmu/level.js';

const TRACE =
  'vcpu,op,gpa,size\n0,R,0x1000,8\n0,X,0x2000,4\n0,W,0x40000000,4\n0,R,0x40001000,4\n0,X,0x40002000,4\n0,R,0x80000000,8\n0,UNMAP,0x40000000,0x1000\n';
const SLOTS = [
  { gpa: 0, sizeBytes: 0x400000, backing: Level.L2M },
  { gpa: 0x40000000, sizeBytes: 0x200000, backing: Level.L4K, pfnmap: 'device' as const },
  { gpa: 0x80000000, sizeBytes: 0x400000, backing: Level.L2M, pfnmap: 'normal' as const },
];

describe('docs/model.md arm64 worked example', () => {
  it('faults 6 (missing 4, permission 1, abort 1), walk_refs 17, the pages and flushes of the doc', async () => {
    const r = await replayText(TRACE, { arch: 'arm64' }, SLOTS);
    const t = r.total;
    expect([t.faults, t.faults_missing, t.faults_permission, t.faults_abort, t.faults_mmio, t.walk_refs]).toEqual([6, 4, 1, 1, 0, 17]);
    const v = r.vm;
    expect([v.pages_4k, v.pages_2m, v.pages_device, v.pages_normal, v.mmu_pages]).toEqual([1, 2, 1, 2, 5]);
    expect([v.flush_requests, v.flushes_range, v.tlb_entries_flushed, v.tlb_entries_flushed_collateral]).toEqual([1, 1, 4, 3]);
  });
});
