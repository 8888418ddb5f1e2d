/**
 * Dirty-log harvesting (src/mmu/dirtyLog.ts): DIRTY_LOG_GET is
 * KVM_GET_DIRTY_LOG without manual protect (kvm_get_dirty_log_protect),
 * DIRTY_LOG_CLEAR is KVM_CLEAR_DIRTY_LOG (kvm_clear_dirty_log_protect). Each
 * harvest write-protects the pages made writable since the last one, so the
 * next write to each faults again, and flushes the slot once when any page
 * was dirty. Counts below are worked out by hand, row by row.
 */
import { describe, expect, it } from 'vitest';
import { DirtyLog } from '../src/mmu/dirtyLog.js';
import { plainSlot } from '../src/mmu/memslots.js';
import { Level } from '../src/mmu/level.js';
import { MEMSTRESS_DEFAULTS, generateMemstress, type MemstressOptions } from '../src/trace/memstressGenerator.js';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size,x_slot\n';
const MiB = 1 << 20;
const SLOT = [{ gpa: 0, sizeBytes: 4 * MiB }];

function memstress(options: Partial<MemstressOptions>): string {
  return [...generateMemstress({ ...MEMSTRESS_DEFAULTS, ...options })].join('');
}

describe('DirtyLog bitmap', () => {
  it('harvest returns runs of dirty GFNs in order, clears them, and leaves pages outside the range', () => {
    const slot = plainSlot(0, 0x100, 200, Level.L4K);
    const log = new DirtyLog();
    for (const gfn of [0x100, 0x101, 0x102, 0x105, 0x13f, 0x140, 0x1c7]) log.markDirty(slot, gfn);
    log.markDirty(slot, 0x101); // twice: still one page
    expect(log.dirtyPages(slot)).toBe(7);
    // Pages 0..63 of the slot: 0x100-0x102, 0x105, 0x13f (page 63); 0x140 is page 64, outside.
    expect(log.harvest(slot, 0, 64)).toEqual([0x100, 0x103, 0x105, 0x106, 0x13f, 0x140]);
    expect(log.dirtyPages(slot)).toBe(2);
    expect(log.harvest(slot, 0, 200)).toEqual([0x140, 0x141, 0x1c7, 0x1c8]); // 0x1c7 is the slot's last page
    expect(log.harvest(slot, 0, 200)).toEqual([]);
  });

  it('forget drops the bitmap: a new logging session starts clean', () => {
    const slot = plainSlot(0, 0, 64, Level.L4K);
    const log = new DirtyLog();
    log.markDirty(slot, 3);
    log.forget(slot);
    expect(log.dirtyPages(slot)).toBe(0);
    expect(log.harvest(slot, 0, 64)).toEqual([]);
  });
});

describe('DIRTY_LOG_GET and DIRTY_LOG_CLEAR in a replay', () => {
  it('GET write-protects what was written since DIRTY_LOG_ON; the next write to it faults again, a clean page was never unprotected', async () => {
    // W 0x0, W 0x1000: 2 missing. ON: both write-protected, flush 1. W 0x0: permission fault (dirty).
    // W 0x0 again: TLB hit, no fault. GET: page 0 dirty -> write-protected, flush 2.
    // W 0x0: permission fault. W 0x1000: permission fault (protected since ON). GET: pages 0 and 1, flush 3.
    const csv =
      HEADER +
      '0,W,0x0,8,\n0,W,0x1000,8,\n0,DIRTY_LOG_ON,0x0,,0\n0,W,0x0,8,\n0,W,0x0,8,\n0,DIRTY_LOG_GET,0x0,,0\n0,W,0x0,8,\n0,W,0x1000,8,\n0,DIRTY_LOG_GET,0x0,,0\n';
    const r = await replayText(csv, { backing: '4k' }, SLOT);
    expect(r.total.faults_missing).toBe(2);
    expect(r.total.faults_permission).toBe(3);
    expect(r.vm.flush_requests).toBe(3);
  });

  it('GET with nothing dirty flushes nothing (kvm_get_dirty_log_protect flushes only when a word had a bit)', async () => {
    const csv = HEADER + '0,W,0x0,8,\n0,DIRTY_LOG_ON,0x0,,0\n0,R,0x0,8,\n0,DIRTY_LOG_GET,0x0,,0\n0,DIRTY_LOG_GET,0x0,,0\n';
    const r = await replayText(csv, { backing: '4k' }, SLOT);
    expect(r.vm.flush_requests).toBe(1); // DIRTY_LOG_ON's only
    expect(r.total.faults_permission).toBe(0);
  });

  it('x86 maps a read fault writable under dirty logging and logs it; arm64 maps it read-only and logs nothing', async () => {
    // ON (nothing mapped: no flush), R 0x2000 (missing), GET, W 0x2000.
    const csv = HEADER + '0,DIRTY_LOG_ON,0x0,,0\n0,R,0x2000,8,\n0,DIRTY_LOG_GET,0x0,,0\n0,W,0x2000,8,\n';
    const x86 = await replayText(csv, { backing: '4k', arch: 'x86-tdp' }, SLOT);
    // x86: the read made the page writable and dirty; GET write-protects it (flush 1); the write faults.
    expect(x86.vm.flush_requests).toBe(1);
    expect(x86.total.faults_permission).toBe(1);
    const arm64 = await replayText(csv, { backing: '4k', arch: 'arm64' }, SLOT);
    // arm64: read-only from the start, nothing dirty, no flush; the write faults all the same.
    expect(arm64.vm.flush_requests).toBe(0);
    expect(arm64.total.faults_permission).toBe(1);
  });

  it('CLEAR write-protects the dirty pages of its range only', async () => {
    // Dirty pages 0 and 64 (0x40000). CLEAR [0, 0x40000) = pages 0..63: page 0 protected, flush 2.
    // W 0x0 faults; W 0x40000 misses the flushed TLB but its leaf is still writable: no fault.
    const csv = HEADER + '0,DIRTY_LOG_ON,0x0,,0\n0,W,0x0,8,\n0,W,0x40000,8,\n0,DIRTY_LOG_CLEAR,0x0,0x40000,0\n0,W,0x0,8,\n0,W,0x40000,8,\n';
    const r = await replayText(csv, { backing: '4k' }, SLOT);
    expect(r.total.faults_missing).toBe(2);
    expect(r.total.faults_permission).toBe(1);
    expect(r.vm.flush_requests).toBe(1);
  });

  it('CLEAR off a 64-page boundary, or on a slot without dirty logging, is a located error (KVM: EINVAL, ENOENT)', async () => {
    const unaligned = HEADER + '0,DIRTY_LOG_ON,0x0,,0\n0,DIRTY_LOG_CLEAR,0x1000,0x40000,0\n';
    await expect(replayText(unaligned, { backing: '4k' }, SLOT)).rejects.toThrow(
      ':3: column op: DIRTY_LOG_CLEAR: KVM_CLEAR_DIRTY_LOG returns EINVAL: first page 1 of memslot 0 is not a multiple of 64',
    );
    const short = HEADER + '0,DIRTY_LOG_ON,0x0,,0\n0,DIRTY_LOG_CLEAR,0x0,0x1000,0\n';
    await expect(replayText(short, { backing: '4k' }, SLOT)).rejects.toThrow(
      'KVM_CLEAR_DIRTY_LOG returns EINVAL: 1 pages is not a multiple of 64 and does not reach the end of memslot 0',
    );
    const off = HEADER + '0,DIRTY_LOG_GET,0x0,,0\n';
    await expect(replayText(off, { backing: '4k' }, SLOT)).rejects.toThrow(
      ':2: column op: DIRTY_LOG_GET: dirty logging is off for memslot 0 (KVM_GET_DIRTY_LOG returns ENOENT)',
    );
  });

  it('a CLEAR that ends at the slot end need not be a multiple of 64 pages', async () => {
    // Slot of 65 pages; CLEAR pages 64..64 (the last one) is valid.
    const csv = HEADER + '0,DIRTY_LOG_ON,0x0,,0\n0,W,0x40000,8,\n0,DIRTY_LOG_CLEAR,0x40000,0x1000,0\n0,W,0x40000,8,\n';
    const r = await replayText(csv, { backing: '4k' }, [{ gpa: 0, sizeBytes: 65 * 4096 }]);
    expect(r.total.faults_permission).toBe(1);
  });
});

describe('gen --kind memstress --dirty-log: the dirty_log_perf_test sequence', () => {
  // 1 vCPU x 256 KiB = 64 pages (one word of the bitmap: a valid CLEAR range), 4K backing, 2 iterations.
  // Populate: 64 missing faults. ON: 64 leaves write-protected, flush 1.
  // Each pass: 64 permission faults; each harvest: 64 dirty pages, one flush. OFF (recover on 4K backing): nothing.
  it.each(['get', 'clear'] as const)('%s: 64 missing + 2 x 64 permission faults, 3 flushes', async (mode) => {
    const r = await replayText(memstress({ vcpuMemoryBytes: 256 * 1024, iterations: 2, dirtyLog: mode }), { backing: '4k' });
    expect(r.total.accesses).toBe(192);
    expect(r.total.faults_missing).toBe(64);
    expect(r.total.faults_permission).toBe(128);
    expect(r.vm.flush_requests).toBe(3);
  });

  it('--write-percent 0: the dirty passes only read write-protected pages, so nothing faults, nothing is dirty, nothing is flushed', async () => {
    const r = await replayText(memstress({ vcpuMemoryBytes: 64 * 1024, iterations: 2, dirtyLog: 'get', writePercent: 0 }), { backing: '4k' });
    expect(r.total.faults_missing).toBe(16); // the populate pass writes whatever --write-percent says
    expect(r.total.faults_permission).toBe(0);
    expect(r.vm.flush_requests).toBe(1);
  });

  it('2M backing, 2 vCPUs x 2 MiB: populate maps two 2M pages, ON splits them (eager split), each pass takes 512 permission faults per vCPU', async () => {
    const r = await replayText(memstress({ vcpus: 2, vcpuMemoryBytes: 2 * MiB, iterations: 1, dirtyLog: 'get' }), { backing: '2m', maxLevel: '2m' });
    expect(r.vcpus.map((v) => v.faults_missing)).toEqual([1, 1]);
    expect(r.vcpus.map((v) => v.faults_permission)).toEqual([512, 512]);
    // DIRTY_LOG_OFF recovers the two 2M pages in place (x86 default `recover`).
    expect(r.vm.pages_2m).toBe(2);
    expect(r.vm.pages_4k).toBe(0);
  });
});
