/**
 * The one page table over the shared store of `--threads per-vcpu`, driven
 * from one thread with two views of the same buffer standing for two vCPU
 * workers, so each race is staged step by step (test/helpers/sharedViews.ts).
 */
import { describe, expect, it } from 'vitest';
import { Level } from '../src/mmu/level.js';
import { PERM_EXEC, PERM_READ, PERM_WRITE, makeLeaf } from '../src/mmu/entry.js';
import { MAP_FIXED, MAP_LEAF_ABOVE, MAP_RETRY, MAP_SPURIOUS } from '../src/mmu/pageTable.js';
import { SharedEntryStore } from '../src/replay/perVcpu/sharedEntryStore.js';
import { FlushRequests, MAILBOX_ENTRIES, newTakenRequests } from '../src/replay/perVcpu/flushRequests.js';
import { sharedView, twoViews } from './helpers/sharedViews.js';

const RW = makeLeaf(PERM_READ | PERM_WRITE);

describe('PageTable over a SharedEntryStore', () => {
  it('installs a 4K leaf with its three tables, visible to the other vCPU', () => {
    const [a, b] = twoViews();
    expect(a.table.map(0x12345, Level.L4K, RW)).toBe(MAP_FIXED);
    expect(a.stats.pages_4k, 'pages_4k of the installer').toBe(1);
    expect(a.table.tablesLinked, 'tables linked: 1G, 2M and 4K levels').toBe(3);
    expect(a.store.tablesInUse, 'root + frozen sentinel + 3').toBe(5);
    expect(b.table.lookup(0x12345), 'vCPU b walks to the same leaf').toBe(RW);
    expect(b.table.lookupLevel).toBe(Level.L4K);
    expect(b.table.lookup(0x12346), 'the next frame is not mapped').toBe(0);
  });

  it('a fault that finds the leaf another vCPU installed is spurious and counts nothing', () => {
    const [a, b] = twoViews();
    expect(a.table.map(0x200, Level.L2M, RW)).toBe(MAP_FIXED);
    expect(b.table.map(0x3ff, Level.L2M, RW), 'same 2M frame, same word').toBe(MAP_SPURIOUS);
    expect(b.stats.pages_2m, 'no leaf counted by the loser').toBe(0);
    expect(b.table.tablesLinked, 'no table linked by the loser').toBe(0);
    expect(b.store.races, 'no cmpxchg was even tried').toBe(0);
    expect(b.table.map(0x201, Level.L4K, RW), 'a 4K fault under the 2M leaf stops at it').toBe(MAP_LEAF_ABOVE);
    expect(b.table.lookupLevel).toBe(Level.L2M);
  });

  it('a cmpxchg that loses to another vCPU fails, retries, and counts one race', () => {
    const [a, b] = twoViews();
    // Frame 8 links the tables of frames 0..0x1ff, so a's next map writes only its leaf;
    // b installs frame 7 between a's walk and that write.
    a.table.map(0x8, Level.L4K, RW);
    const before = a.store.races;
    a.store.beforeNextWrite(() => expect(b.table.map(0x7, Level.L4K, RW)).toBe(MAP_FIXED));
    expect(a.table.map(0x7, Level.L4K, RW), 'a’s cmpxchg(0 -> leaf) fails').toBe(MAP_RETRY);
    expect(a.store.races - before).toBe(1);
    expect(a.stats.pages_4k + b.stats.pages_4k, 'frames 8 and 7: two leaves in all').toBe(2);
    expect(a.table.map(0x7, Level.L4K, RW), 'the retry finds it done').toBe(MAP_SPURIOUS);
  });

  it('a huge leaf replacing a table freezes it: an install racing into the removed table fails', () => {
    const [a, b] = twoViews();
    expect(a.table.map(0x3, Level.L4K, RW)).toBe(MAP_FIXED);
    // a walks to the 4K table for frame 5; before its write, b maps the whole 2M frame over that table.
    a.store.beforeNextWrite(() => {
      expect(b.table.map(0x0, Level.L2M, RW)).toBe(MAP_FIXED);
      expect(b.table.replacedTable, 'b must flush the replaced range').toBe(true);
    });
    expect(a.table.map(0x5, Level.L4K, RW), 'the frozen entry refuses a’s install').toBe(MAP_RETRY);
    expect(b.stats.pages_2m, '+1 2M leaf').toBe(1);
    expect(b.stats.pages_4k, 'a’s 4K leaf removed with its table').toBe(-1);
    expect(a.table.lookup(0x5), 'frame 5 now maps through the 2M leaf').toBe(RW);
    expect(a.table.lookupLevel).toBe(Level.L2M);
  });

  it('relax adds a permission once; the second vCPU finds it done; no leaf is a retry', () => {
    const [a, b] = twoViews();
    a.table.map(0x40, Level.L4K, RW);
    expect(a.table.relax(0x40, PERM_EXEC)).toBe(MAP_FIXED);
    expect(a.table.relaxedWord).toBe(RW | PERM_EXEC);
    expect(b.table.relax(0x40, PERM_EXEC)).toBe(MAP_SPURIOUS);
    expect(b.table.lookup(0x40)).toBe(RW | PERM_EXEC);
    expect(b.table.relax(0x41, PERM_EXEC), 'no leaf: the guest retries and takes a missing fault').toBe(MAP_RETRY);
  });

  it('arm64: a map over a leaf that differs only in permissions is spurious (stage2_pte_needs_update)', () => {
    const buffer = SharedEntryStore.allocate(Level.L512G, 16);
    const a = sharedView(buffer, true);
    const b = sharedView(buffer, true);
    a.table.map(0x9, Level.L4K, RW);
    expect(b.table.map(0x9, Level.L4K, RW | PERM_EXEC), 'exec fault racing a read fault: -EAGAIN').toBe(MAP_SPURIOUS);
    expect(a.table.lookup(0x9), 'the leaf is unchanged; the exec access then takes a permission fault').toBe(RW);
  });

  it('refuses to grow past its capacity with a clear error', () => {
    const { table } = sharedView(SharedEntryStore.allocate(Level.L512G, 4));
    expect(() => table.map(0, Level.L4K, RW)).toThrow(/shared stage-2 table is full \(4 table pages\)/);
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
    expect(Array.from(taken.drop.subarray(0, 4))).toEqual([0x10, 0x20, 0x0, 0x1]);
    expect(Array.from(taken.requested.subarray(0, 2))).toEqual([0x10, 0x20]);
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
