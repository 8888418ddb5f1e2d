import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GfnTree } from '../src/mmu/pkvm/gfnTree.js';

type Mapping = [gfn: number, nrPages: number];

/** Every mapping in order, through the public range walk. */
function contents(tree: GfnTree): Mapping[] {
  const out: Mapping[] = [];
  tree.forEachInRange(0, Infinity, (gfn, nrPages) => out.push([gfn, nrPages]));
  return out;
}

function treeOf(mappings: Mapping[]): GfnTree {
  const tree = new GfnTree();
  for (const [gfn, nrPages] of mappings) expect(tree.insert(gfn, nrPages)).toBe(true);
  return tree;
}

/** The reference model: a sorted array, every operation by linear scan. */
class SortedReference {
  items: Mapping[] = [];
  insert(gfn: number, nrPages: number): boolean {
    if (this.items.some(([g, n]) => g < gfn + nrPages && gfn < g + n)) return false;
    this.items.push([gfn, nrPages]);
    this.items.sort((a, b) => a[0] - b[0]);
    return true;
  }
  remove(gfn: number): boolean {
    const i = this.items.findIndex(([g]) => g === gfn);
    if (i >= 0) this.items.splice(i, 1);
    return i >= 0;
  }
  find(gfn: number): Mapping | undefined {
    return this.items.find(([g, n]) => g <= gfn && gfn < g + n);
  }
  inRange(start: number, end: number): Mapping[] {
    return start < end ? this.items.filter(([g, n]) => g < end && start < g + n) : [];
  }
}

const gfnArb = fc.integer({ min: 0, max: 63 });
const opArb = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), gfn: gfnArb, nrPages: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('remove' as const), gfn: gfnArb }),
  fc.record({ kind: fc.constant('find' as const), gfn: fc.integer({ min: 0, max: 72 }) }),
  fc.record({ kind: fc.constant('range' as const), start: gfnArb, len: fc.integer({ min: 0, max: 24 }) }),
  fc.record({ kind: fc.constant('unmapRange' as const), start: gfnArb, len: fc.integer({ min: 0, max: 24 }) }),
);

describe('GfnTree', () => {
  it('matches a sorted-array model after every operation of random sequences', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const tree = new GfnTree();
        const ref = new SortedReference();
        for (const op of ops) {
          if (op.kind === 'insert') {
            expect(tree.insert(op.gfn, op.nrPages)).toBe(ref.insert(op.gfn, op.nrPages));
          } else if (op.kind === 'remove') {
            expect(tree.remove(op.gfn)).toBe(ref.remove(op.gfn));
          } else if (op.kind === 'find') {
            const i = tree.find(op.gfn);
            const want = ref.find(op.gfn);
            expect(i === -1 ? undefined : [tree.nodeGfn(i), tree.nodeNrPages(i)]).toEqual(want);
          } else {
            const end = op.start + op.len;
            const want = ref.inRange(op.start, end);
            const seen: Mapping[] = [];
            tree.forEachInRange(op.start, end, (gfn, nrPages) => {
              seen.push([gfn, nrPages]);
              // pkvm_pgtable_stage2_unmap: erase each mapping while walking.
              if (op.kind === 'unmapRange') expect(tree.remove(gfn)).toBe(true);
            });
            expect(seen).toEqual(want);
            if (op.kind === 'unmapRange') for (const [gfn] of want) ref.remove(gfn);
          }
          expect(contents(tree)).toEqual(ref.items);
          expect(tree.size).toBe(ref.items.length);
          expect(tree.checkInvariants()).toBeUndefined();
          expect(tree.height()).toBeLessThanOrEqual(1.45 * Math.log2(tree.size + 2));
        }
      }),
      { seed: 0x6bf1, numRuns: 200 },
    );
  });

  it('ascending inserts 1..1000 stay balanced (height <= 11) and iterate in order', () => {
    const tree = new GfnTree();
    for (let gfn = 1; gfn <= 1000; gfn++) expect(tree.insert(gfn, 1)).toBe(true);
    expect(tree.size).toBe(1000);
    expect(tree.height()).toBeLessThanOrEqual(11);
    expect(tree.checkInvariants()).toBeUndefined();
    expect(contents(tree)).toEqual(Array.from({ length: 1000 }, (_, i) => [i + 1, 1]));
  });

  it('refuses an insert overlapping an existing mapping and changes nothing', () => {
    const tree = treeOf([[10, 4]]); // [10, 14)
    expect(tree.insert(13, 1)).toBe(false); // last page of [10, 14)
    expect(tree.insert(12, 1)).toBe(false); // inside
    expect(tree.insert(10, 1)).toBe(false); // same start
    expect(tree.insert(0, 100)).toBe(false); // covers it
    expect(tree.insert(14, 2)).toBe(true); // [14, 16): adjacent after
    expect(tree.insert(8, 2)).toBe(true); // [8, 10): adjacent before
    expect(tree.insert(7, 2)).toBe(false); // [7, 9) overlaps [8, 10)
    expect(contents(tree)).toEqual([
      [8, 2],
      [10, 4],
      [14, 2],
    ]);
    expect(tree.checkInvariants()).toBeUndefined();
  });

  it('find returns the mapping containing a GFN, -1 in a gap', () => {
    const tree = treeOf([
      [8, 2],
      [10, 4],
      [20, 1],
    ]);
    const at = (gfn: number) => {
      const i = tree.find(gfn);
      return i === -1 ? -1 : [tree.nodeGfn(i), tree.nodeNrPages(i)];
    };
    expect(at(11)).toEqual([10, 4]);
    expect(at(13)).toEqual([10, 4]);
    expect(at(9)).toEqual([8, 2]);
    expect(at(14)).toBe(-1);
    expect(at(7)).toBe(-1);
    expect(at(21)).toBe(-1);
  });

  it('remove takes only the mapping starting at the GFN, not one containing it', () => {
    const tree = treeOf([
      [0, 512],
      [512, 1],
    ]);
    expect(tree.remove(5)).toBe(false);
    expect(tree.remove(0)).toBe(true);
    expect(tree.remove(0)).toBe(false);
    expect(contents(tree)).toEqual([[512, 1]]);
  });

  it('a range query includes a mapping that starts before the range but overlaps it', () => {
    const tree = treeOf([
      [0, 512],
      [512, 1],
      [600, 1],
    ]); // a 2M block, then two 4K pages
    const visits = (start: number, end: number) => {
      const out: Mapping[] = [];
      tree.forEachInRange(start, end, (gfn, nrPages) => out.push([gfn, nrPages]));
      return out;
    };
    expect(visits(100, 513)).toEqual([
      [0, 512],
      [512, 1],
    ]);
    expect(visits(511, 512)).toEqual([[0, 512]]);
    expect(visits(512, 600)).toEqual([[512, 1]]); // half-open: 600 is outside
    expect(visits(513, 600)).toEqual([]);
    expect(visits(600, 600)).toEqual([]); // empty range
  });

  it('the visitor may remove the mapping it is visiting (unmap while walking)', () => {
    const tree = treeOf(Array.from({ length: 10 }, (_, i): Mapping => [i, 1]));
    const visited: number[] = [];
    tree.forEachInRange(2, 8, (gfn) => {
      visited.push(gfn);
      expect(tree.remove(gfn)).toBe(true);
    });
    expect(visited).toEqual([2, 3, 4, 5, 6, 7]);
    expect(contents(tree)).toEqual([
      [0, 1],
      [1, 1],
      [8, 1],
      [9, 1],
    ]);
    expect(tree.checkInvariants()).toBeUndefined();
  });

  it('the visitor may remove the next mapping: the walk re-seeks past it', () => {
    const tree = treeOf([
      [0, 1],
      [2, 1],
      [4, 1],
      [6, 1],
      [8, 1],
    ]);
    const visited: number[] = [];
    tree.forEachInRange(0, 10, (gfn) => {
      visited.push(gfn);
      tree.remove(gfn + 2);
    });
    expect(visited).toEqual([0, 4, 8]);
    expect(contents(tree)).toEqual([
      [0, 1],
      [4, 1],
      [8, 1],
    ]);
  });

  it('holds GFNs up to 2^40 and beyond exactly', () => {
    const tree = treeOf([
      [2 ** 40, 512],
      [2 ** 40 + 512, 1],
      [2 ** 52, 1],
    ]);
    expect(tree.nodeGfn(tree.find(2 ** 40 + 511))).toBe(2 ** 40);
    expect(tree.nodeGfn(tree.find(2 ** 40 + 512))).toBe(2 ** 40 + 512);
    expect(tree.find(2 ** 40 + 513)).toBe(-1);
    expect(tree.insert(2 ** 40 + 511, 1)).toBe(false);
    expect(contents(tree)).toEqual([
      [2 ** 40, 512],
      [2 ** 40 + 512, 1],
      [2 ** 52, 1],
    ]);
  });

  it('inserts above the last mapping without losing track of the last one as it is removed', () => {
    // 10, 20, 30 in order (each linked below the last node; 20 becomes the
    // root), then 25 (the left child of 30, the last mapping).
    const tree = treeOf([
      [10, 5],
      [20, 5],
      [30, 5],
      [25, 5],
    ]);
    expect(tree.insert(34, 1)).toBe(false); // overlaps [30, 35), the last mapping
    // The last, removed with a left child: the last is that child, [25, 30).
    expect(tree.remove(30)).toBe(true);
    expect(tree.insert(28, 1)).toBe(false); // overlaps [25, 30)
    // The last, removed without a child: the last is its parent, [20, 25).
    expect(tree.remove(25)).toBe(true);
    expect(tree.insert(24, 1)).toBe(false); // overlaps [20, 25)
    expect(tree.insert(25, 3)).toBe(true); // right after [20, 25): the new last
    expect(tree.insert(27, 1)).toBe(false);
    expect(tree.insert(40, 1)).toBe(true);
    expect(tree.checkInvariants()).toBeUndefined();
    expect(contents(tree)).toEqual([
      [10, 5],
      [20, 5],
      [25, 3],
      [40, 1],
    ]);
  });

  it('clear empties the tree and it can be refilled', () => {
    const tree = treeOf([
      [1, 1],
      [5, 2],
      [9, 3],
    ]);
    tree.clear();
    expect(tree.size).toBe(0);
    expect(tree.height()).toBe(0);
    expect(contents(tree)).toEqual([]);
    expect(tree.find(5)).toBe(-1);
    expect(tree.insert(5, 1)).toBe(true);
    expect(contents(tree)).toEqual([[5, 1]]);
    expect(tree.checkInvariants()).toBeUndefined();
  });

  it('rejects a negative or fractional GFN and a page count below 1', () => {
    const tree = new GfnTree();
    expect(() => tree.insert(-1, 1)).toThrow(RangeError);
    expect(() => tree.insert(1.5, 1)).toThrow('GfnTree.insert: gfn 1.5 is not a non-negative integer');
    expect(() => tree.insert(0, 0)).toThrow(/nrPages 0 is not a positive integer/);
    expect(tree.size).toBe(0);
  });
});
