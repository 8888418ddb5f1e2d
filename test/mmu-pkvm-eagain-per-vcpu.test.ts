/**
 * pKVM -EAGAIN when another vCPU already installed the mapping (seed 000),
 * over the per-vCPU mode's shared stage-2. vCPU B's walk missed; before B gets
 * the mmu_lock (`kvm_fault_lock`: for write on a pKVM host), vCPU A faults the
 * same page in. B's `pkvm_pgtable_stage2_map` then finds it mapped:
 * - upstream (`pkvm-pmd`): `pkvm_mapping_iter_first` finds A's mapping of the
 *   same size: -EAGAIN, no hypercall;
 * - seed 000 (`pkvm`): `__pkvm_host_share_guest` is called and EL2 refuses it
 *   (-EPERM), turned into -EAGAIN: one refused share hypercall.
 * Either way `user_mem_abort` returns 0 and the guest retries: B counts one
 * `faults_spurious` (pf_spurious), A one `faults_missing`.
 *
 * The race is made deterministic by B's mmu_lock: a test lock that lets A's
 * whole fault run just before B takes it. Memcache (hypMemcache.ts, 4 levels,
 * min 3 pages): A tops up 3, its share moves 3 to EL2, its map links 3 tables
 * (1G, 2M, 4K levels): 3 donated. B tops up 3 (its own vCPU's cache); upstream
 * makes no share, so no refill (0 donated); the seed's refused share still
 * refills first (`pkvm_refill_memcache` runs before `__pkvm_host_share_guest`): 3.
 */
import { describe, expect, it } from 'vitest';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { vmOptionsFor } from '../src/replay/vmOptions.js';
import { SharedEntryStore } from '../src/replay/perVcpu/sharedEntryStore.js';
import { Vm } from '../src/mmu/vm.js';
import { VcpuStats } from '../src/mmu/stats.js';
import { plainSlot } from '../src/mmu/memslots.js';
import { Level } from '../src/mmu/level.js';
import { AccessKind, type FlushSink } from '../src/mmu/vmOptions.js';
import type { MmuLock } from '../src/mmu/mmuLock.js';
import type { Arch } from '../src/mmu/arch/archProfile.js';
import { setupPerVcpuCell } from '../src/replay/perVcpu/setupPerVcpuCell.js';
import { replayVcpu } from '../src/replay/perVcpu/replayVcpu.js';
import { mergeCell } from '../src/replay/perVcpu/runPerVcpu.js';
import { replayCell } from '../src/replay/replayCell.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { traceFromText } from './helpers/traceFromText.js';
import { tempDir } from './helpers/runCli.js';
import { run, totals } from './helpers/perVcpuRun.js';

const NO_FLUSH: FlushSink = { requestFlush(): void {} };

/** A lock that runs `before` once, just before the first acquisition (the other vCPU's fault, in the window). */
function windowLock(inner: MmuLock, before: () => void): MmuLock {
  let pending: (() => void) | undefined = before;
  const open = (): void => {
    const run = pending;
    pending = undefined;
    run?.();
  };
  return {
    readLock: () => {
      open();
      inner.readLock();
    },
    readUnlock: () => inner.readUnlock(),
    writeLock: () => {
      open();
      inner.writeLock();
    },
    writeUnlock: () => inner.writeUnlock(),
  };
}

function race(arch: Arch) {
  const [scenario] = parseMatrix({ arch, backing: '4k', prefault: 'none' });
  const options = vmOptionsFor(scenario);
  const buffer = SharedEntryStore.allocate(options.rootLevel, 64);
  const storeA = new SharedEntryStore(buffer);
  const storeB = new SharedEntryStore(buffer);
  const vmA = new Vm(options, NO_FLUSH, { store: storeA, lock: storeA.lock });
  const a = new VcpuStats();
  const b = new VcpuStats();
  const vmB = new Vm(options, NO_FLUSH, { store: storeB, lock: windowLock(storeB.lock, () => vmA.translate(0, AccessKind.Read, a)) });
  for (const vm of [vmA, vmB]) vm.addSlot(plainSlot(0, 0, 512, Level.L4K));
  const word = vmB.translate(0, AccessKind.Read, b);
  return { word, a, b, vmA, vmB };
}

describe('pKVM -EAGAIN: the mapping another vCPU installed first', () => {
  it('upstream (pkvm-pmd): B takes a spurious fault and makes no hypercall', () => {
    const { word, a, b, vmA, vmB } = race('pkvm-pmd');
    expect(word).not.toBe(0);
    expect([a.faults_missing, a.faults_spurious]).toEqual([1, 0]);
    expect([b.faults_missing, b.faults_spurious]).toEqual([0, 1]);
    expect(vmA.mirror?.byKind.host_share_guest).toBe(1);
    expect(vmB.mirror?.byKind.host_share_guest).toBe(0);
    expect(vmB.mirror?.eagain).toBe(1);
    expect([vmA.stats.pkvm_memcache_pages, vmB.stats.pkvm_memcache_pages]).toEqual([3, 0]);
    expect(vmB.stats.hypercalls).toBe(0);
  });

  it('seed 000 (pkvm): B pays one refused share hypercall (-EPERM -> -EAGAIN) and its refill', () => {
    const { b, vmA, vmB } = race('pkvm');
    expect(b.faults_spurious).toBe(1);
    expect(vmA.mirror?.byKind.host_share_guest).toBe(1);
    expect(vmB.mirror?.byKind.host_share_guest).toBe(1);
    expect(vmB.stats.hypercalls).toBe(1);
    expect([vmA.stats.pkvm_memcache_pages, vmB.stats.pkvm_memcache_pages]).toEqual([3, 3]);
  });

  it('per-vCPU mode replays pKVM: two vCPUs on one page, inline, equal the deterministic replay', async () => {
    // vCPU 0 reads page 0 and page 1, vCPU 1 reads page 0 after it (inline: no race, no fault for vCPU 1).
    const trace = await traceFromText('vcpu,op,gpa,size\n0,R,0x0,8\n0,R,0x1000,8\n1,R,0x0,8\n');
    const layout = { memslots: [{ gpa: 0, sizeBytes: 1 << 21, source: 'test slot' }], defaultSlotAlignBytes: 1 << 30 };
    for (const arch of ['pkvm', 'pkvm-pmd'] as const) {
      const [scenario] = parseMatrix({ arch, backing: '4k', prefault: 'none' });
      const deterministic = replayCell(trace, scenario, layout);
      const setup = setupPerVcpuCell(trace, scenario, layout);
      const counters = setup.indices.map((indices, vcpu) => {
        const outcome = replayVcpu({ cell: setup.cell, vcpu, traceName: trace.name, tracePath: trace.path, events: trace.events, indices }, { gate: false });
        if (!outcome.ok) throw new Error(outcome.message);
        return outcome.counters;
      });
      const merged = mergeCell(setup, counters, 0);
      expect(merged.vm).toEqual(deterministic.vm);
      expect(merged.vcpus).toEqual(deterministic.vcpus);
      expect(merged.hypercallsByKind).toEqual(deterministic.hypercallsByKind);
      // Two shares, two teardown unshares; vCPU 0 donated 3 + 3 (second fault: hyp cache empty again), vCPU 1 none.
      expect(merged.hypercallsByKind?.host_share_guest).toBe(2);
      expect(merged.hypercallsByKind?.host_unshare_guest).toBe(2);
      expect(merged.vm.pkvm_memcache_pages).toBe(6);
    }
  });
});

describe('pKVM under --threads per-vcpu (the built CLI, real worker threads)', () => {
  it('two vCPUs on the same 256 pages: one share per page upstream, one more per race in seed 000', () => {
    // Both vCPUs read pages 0..255 in the same order: whichever comes second either finds the page
    // mapped (no fault) or races (faults_spurious, -EAGAIN). Timing decides which, not the totals below.
    const rows = ['vcpu,op,gpa,size'];
    for (let page = 0; page < 256; page++) for (const vcpu of [0, 1]) rows.push(`${vcpu},R,0x${(page * 4096).toString(16)},8`);
    const trace = join(tempDir(), 'same-pages.csv');
    writeFileSync(trace, `${rows.join('\n')}\n`);
    const [upstream, seed] = totals(
      run(trace, 'per-vcpu', ['--arch', 'pkvm-pmd,pkvm', '--backing', '4k', '--prefault', 'none', '--memslot', '0x0:0x200000']).rows,
    );
    for (const row of [upstream, seed]) {
      expect([row.faults_missing, row.pages_4k]).toEqual(['256', '256']);
    }
    // pkvm-pmd: 256 shares + 256 teardown unshares, races cost nothing.
    expect(upstream.hypercalls).toBe('512');
    // pkvm (seed): each race (faults_spurious) is one refused share more.
    expect(Number(seed.hypercalls)).toBe(512 + Number(seed.faults_spurious));
  });
});
