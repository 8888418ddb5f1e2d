/**
 * The shared stage-2 of `--threads per-vcpu`, driven from one thread with two
 * views of the same buffer standing for two vCPU workers, so each race is
 * staged step by step.
 */
import { describe, expect, it } from 'vitest';
import { Level } from '../src/mmu/level.js';
import { PERM_EXEC, PERM_READ, PERM_WRITE, makeLeaf } from '../src/mmu/entry.js';
import { Install, PREPARE_LEAF_ABOVE, SharedPageTable } from '../src/replay/perVcpu/sharedPageTable.js';
import { FlushRequests, MAILBOX_ENTRIES, newTakenRequests } from '../src/replay/perVcpu/flushRequests.js';

const RW = makeLeaf(PERM_READ | PERM_WRITE);

function twoVcpus(): [SharedPageTable, SharedPageTable] {
  const buffer = SharedPageTable.allocate(Level.L512G, 16);
  return [new SharedPageTable(buffer), new SharedPageTable(buffer)];
}

describe('SharedPageTable', () => {
  it('installs a 4K leaf with its three tables, visible to the other vCPU', () => {
    const [a, b] = twoVcpus();
    expect(a.installLeaf(0x12345, Level.L4K, RW)).toBe(Install.Fixed);
    expect(a.stats.pages_4k, 'pages_4k of the installer').toBe(1);
    expect(a.stats.mmu_pages, 'tables linked: 1G, 2M and 4K levels').toBe(3);
    expect(a.tablesUsed, 'root + 3').toBe(4);
    expect(b.lookup(0x12345), 'vCPU b walks to the same leaf').toBe(RW);
    expect(b.lookupLevel).toBe(Level.L4K);
    expect(b.lookup(0x12346), 'the next frame is not mapped').toBe(0);
  });

  it('a fault that finds the leaf another vCPU installed is spurious and counts nothing', () => {
    const [a, b] = twoVcpus();
    expect(a.installLeaf(0x200, Level.L2M, RW)).toBe(Install.Fixed);
    expect(b.installLeaf(0x3ff, Level.L2M, RW), 'same 2M frame').toBe(Install.Spurious);
    expect(b.stats.pages_2m, 'no leaf counted by the loser').toBe(0);
    expect(b.stats.mmu_pages, 'no table linked by the loser').toBe(0);
    expect(b.installRaces, 'no cmpxchg was even tried').toBe(0);
  });

  it('a cmpxchg that loses to another vCPU fails and counts one install race', () => {
    const [a, b] = twoVcpus();
    const index = a.prepare(0x7, Level.L4K);
    expect(index).toBeGreaterThanOrEqual(0);
    expect(b.installLeaf(0x7, Level.L4K, RW), 'b installs between a’s walk and a’s cmpxchg').toBe(Install.Fixed);
    expect(a.commitLeaf(index, Level.L4K, 0, RW), 'a’s cmpxchg(0 -> leaf) fails').toBe(false);
    expect(a.installRaces).toBe(1);
    expect(a.stats.pages_4k + b.stats.pages_4k, 'one leaf in all').toBe(1);
  });

  it('a huge leaf replacing a table freezes it: an install racing into the removed table fails', () => {
    const [a, b] = twoVcpus();
    expect(a.installLeaf(0x3, Level.L4K, RW)).toBe(Install.Fixed);
    const index = a.prepare(0x5, Level.L4K);
    expect(b.installLeaf(0x0, Level.L2M, RW), 'b maps the whole 2M frame over a’s table').toBe(Install.Fixed);
    expect(b.replacedTable, 'b must flush the replaced range').toBe(true);
    expect(b.stats.pages_2m, '+1 2M leaf').toBe(1);
    expect(b.stats.pages_4k, 'a’s 4K leaf removed with its table').toBe(-1);
    expect(a.commitLeaf(index, Level.L4K, 0, RW), 'the frozen entry refuses a’s install').toBe(false);
    expect(a.installRaces).toBe(1);
    expect(a.lookup(0x5), 'frame 5 now maps through the 2M leaf').toBe(RW);
    expect(a.lookupLevel).toBe(Level.L2M);
    expect(a.prepare(0x6, Level.L4K), 'a walk below the 2M leaf stops at it').toBe(PREPARE_LEAF_ABOVE);
  });

  it('relaxLeaf adds a permission once; the second vCPU finds it done', () => {
    const [a, b] = twoVcpus();
    a.installLeaf(0x40, Level.L4K, RW);
    expect(a.relaxLeaf(0x40, PERM_EXEC)).toBe(Install.Fixed);
    expect(b.relaxLeaf(0x40, PERM_EXEC)).toBe(Install.Spurious);
    expect(b.lookup(0x40)).toBe(RW | PERM_EXEC);
    expect(b.relaxLeaf(0x41, PERM_EXEC), 'no leaf: the guest retries and takes a missing fault').toBe(Install.Retry);
  });

  it('zapRange removes every overlapping leaf, a huge one whole, and reports the frames changed', () => {
    const [a, b] = twoVcpus();
    a.installLeaf(0x10, Level.L4K, RW);
    a.installLeaf(0x11, Level.L4K, RW);
    a.installLeaf(0x400, Level.L2M, RW);
    b.zapRange(0x11, 0x401);
    expect(b.stats.pages_4k, 'frame 0x11 zapped, 0x10 kept').toBe(-1);
    expect(b.stats.pages_2m, 'the 2M leaf at 0x400 zapped whole').toBe(-1);
    expect([b.changedStart, b.changedEnd]).toEqual([0x11, 0x600]);
    expect(a.lookup(0x10)).toBe(RW);
    expect(a.lookup(0x401)).toBe(0);
  });

  it('clearPermsRange write-protects leaves that had the permission only', () => {
    const [a, b] = twoVcpus();
    const ro = makeLeaf(PERM_READ);
    a.installLeaf(0x1, Level.L4K, ro);
    a.installLeaf(0x2, Level.L4K, RW);
    b.clearPermsRange(0x0, 0x10, PERM_WRITE);
    expect([b.changedStart, b.changedEnd], 'only frame 2 changed').toEqual([0x2, 0x3]);
    expect(a.lookup(0x2)).toBe(ro);
    expect(b.stats.pages_4k, 'leaves stay').toBe(0);
  });

  it('refuses to grow past its capacity with a clear error', () => {
    const table = new SharedPageTable(SharedPageTable.allocate(Level.L512G, 3));
    expect(() => table.installLeaf(0, Level.L4K, RW)).toThrow(/shared stage-2 table is full \(3 table pages\)/);
  });
});

describe('FlushRequests', () => {
  it('requests coalesce until the vCPU takes them; taking clears the word', () => {
    const requests = new FlushRequests(FlushRequests.allocate(2), 2);
    expect(requests.pending(1)).toBe(false);
    requests.post(1, false, 0x10, 0x20, 0x10, 0x20);
    requests.post(1, true, 0x0, 0x1, 0x0, 0x1);
    expect(requests.pending(1)).toBe(true);
    expect(requests.pending(0), 'vCPU 0 got nothing').toBe(false);
    const taken = newTakenRequests();
    requests.take(1, taken);
    expect(taken.count).toBe(2);
    expect(taken.full, 'one of them was full').toBe(true);
    expect(Array.from(taken.ranges.subarray(0, 4))).toEqual([0x10, 0x20, 0x10, 0x20]);
    expect(requests.pending(1)).toBe(false);
  });

  it('a full mailbox turns the overflowing request into a full flush', () => {
    const requests = new FlushRequests(FlushRequests.allocate(1), 1);
    for (let i = 0; i <= MAILBOX_ENTRIES; i++) requests.post(0, false, i, i + 1, i, i + 1);
    const taken = newTakenRequests();
    requests.take(0, taken);
    expect(taken.count).toBe(MAILBOX_ENTRIES);
    expect(taken.overflowed).toBe(true);
    expect(taken.full).toBe(true);
  });
});
