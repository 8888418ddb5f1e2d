import { describe, expect, it } from 'vitest';
import { Level } from '../src/mmu/level.js';
import { MemslotSet, plainSlot } from '../src/mmu/memslots.js';

describe('MemslotSet.add', () => {
  it('keeps its own copy of the slot, field for field: a later change to the caller object changes nothing', () => {
    const set = new MemslotSet();
    const given = { ...plainSlot(3, 0x100, 512, Level.L2M), hvaGfn: 0x300, readOnly: true };
    set.add(given);
    const held = set.find(0x100 + 511);
    // Same fields and values, another object (memslot(): one object literal, one hidden class for every slot).
    expect(held).toEqual(given);
    expect(held).not.toBe(given);
    given.dirtyLogging = true;
    given.npages = 1;
    expect(set.find(0x100 + 511)?.dirtyLogging).toBe(false);
    expect(set.byId(3).npages).toBe(512);
  });
});
