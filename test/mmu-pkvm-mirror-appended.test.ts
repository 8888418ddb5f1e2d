/**
 * The pKVM mirror keeps mappings shared above every other one (faults in
 * GFN order) apart and links them into its tree only when the tree is read
 * or changed otherwise: what the tree holds, what an overlapping share is
 * refused, and what a teardown counts are the same as with every share
 * inserted at once. Driven through `onLeafChange`, as the stage-2 table
 * drives it.
 */
import { describe, expect, it } from 'vitest';
import { HypercallMirror } from '../src/mmu/pkvm/hypercallMirror.js';
import { VmStats } from '../src/mmu/stats.js';
import { Level } from '../src/mmu/level.js';
import { PERM_RWX, makeLeaf } from '../src/mmu/entry.js';

const LEAF = makeLeaf(PERM_RWX);

function contents(mirror: HypercallMirror): number[][] {
  const out: number[][] = [];
  mirror.tree.forEachInRange(0, 2 ** 40, (gfn, nrPages) => out.push([gfn, nrPages]));
  return out;
}

describe('pKVM mirror: mappings shared in GFN order', () => {
  it('are all in the tree when it is read, in order, with the tree sound', () => {
    const mirror = new HypercallMirror(new VmStats());
    // Kept as two runs: two 2M mappings end to end from 0x200, then two 4K ones from 0x600.
    mirror.onLeafChange(0x200, Level.L2M, 0, LEAF, 0); // [0x200, 0x400)
    mirror.onLeafChange(0x400, Level.L2M, 0, LEAF, 0); // [0x400, 0x600)
    mirror.onLeafChange(0x600, Level.L4K, 0, LEAF, 0);
    mirror.onLeafChange(0x601, Level.L4K, 0, LEAF, 0);
    mirror.onLeafChange(0x603, Level.L4K, 0, LEAF, 0); // a gap: a third run
    expect(mirror.tree.size).toBe(5);
    expect(contents(mirror)).toEqual([
      [0x200, 512],
      [0x400, 512],
      [0x600, 1],
      [0x601, 1],
      [0x603, 1],
    ]);
    expect(mirror.tree.checkInvariants()).toBeUndefined();
  });

  it('refuse a later share that overlaps one of them (counted in eagain), and unshare as any other', () => {
    const mirror = new HypercallMirror(new VmStats());
    mirror.onLeafChange(0x200, Level.L2M, 0, LEAF, 0); // [0x200, 0x400), kept apart
    mirror.onLeafChange(0x300, Level.L4K, 0, LEAF, 0); // below the last end: the tree, which refuses it
    expect(mirror.eagain).toBe(1);
    mirror.onLeafChange(0x100, Level.L4K, 0, LEAF, 0); // below, no overlap: linked
    mirror.onLeafChange(0x400, Level.L4K, 0, LEAF, 0); // above every mapping again: kept apart
    mirror.onLeafChange(0x200, Level.L2M, LEAF, 0, 0); // unshared: from the tree, once linked
    expect(contents(mirror)).toEqual([
      [0x100, 1],
      [0x400, 1],
    ]);
    expect(mirror.byKind.host_share_guest).toBe(4);
    expect(mirror.byKind.host_unshare_guest).toBe(1);
  });

  it('are kept past one chunk of 4096 and linked in order', () => {
    const mirror = new HypercallMirror(new VmStats());
    for (let gfn = 0; gfn < 5000; gfn++) mirror.onLeafChange(gfn * 2, Level.L4K, 0, LEAF, 0);
    const starts: number[] = [];
    mirror.tree.forEachInRange(0, 2 ** 40, (gfn) => starts.push(gfn));
    expect(starts).toEqual(Array.from({ length: 5000 }, (_, i) => i * 2));
    expect(mirror.tree.checkInvariants()).toBeUndefined();
  });

  it('are counted by a teardown, one unshare each, with those in the tree', () => {
    const stats = new VmStats();
    const mirror = new HypercallMirror(stats);
    mirror.onLeafChange(0x10, Level.L4K, 0, LEAF, 0);
    mirror.onLeafChange(0x5, Level.L4K, 0, LEAF, 0); // below: in the tree
    for (let gfn = 0x20; gfn < 0x30; gfn++) mirror.onLeafChange(gfn, Level.L4K, 0, LEAF, 0); // 16 kept apart
    mirror.destroy();
    expect(mirror.byKind.host_unshare_guest).toBe(18);
    expect(stats.hypercalls).toBe(18 + 18); // 18 shares, 18 unshares
    expect(mirror.tree.size).toBe(0);
    mirror.onLeafChange(0x10, Level.L4K, 0, LEAF, 0); // after the teardown, from an empty tree again
    expect(contents(mirror)).toEqual([[0x10, 1]]);
  });
});
