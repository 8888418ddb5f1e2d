import { describe, expect, it } from 'vitest';
import { maxMappingLevel } from '../src/mmu/mappingLevel.js';
import { Level } from '../src/mmu/level.js';
import type { Memslot } from '../src/mmu/memslots.js';

const slot = (over: Partial<Memslot>): Memslot => ({
  id: 0,
  baseGfn: 0,
  npages: 1024,
  backing: Level.L1G,
  hvaGfn: 0,
  readOnly: false,
  dirtyLogging: false,
  private: false,
  pfnmap: 'none',
  ...over,
});

describe('mapping level (kvm_mmu_max_mapping_level)', () => {
  it('aligned slot, 1G backing: 2M inside a slot too small for 1G', () => {
    expect(maxMappingLevel(slot({}), 5, Level.L1G)).toBe(Level.L2M);
  });

  it('the unaligned head and tail frames of a slot are 4K, the aligned middle 2M', () => {
    // Slot [256, 256 + 1024): head frame 0-511 and tail frame 1024-1535 stick out.
    const s = slot({ baseGfn: 256, hvaGfn: 256, npages: 1024 });
    expect(maxMappingLevel(s, 300, Level.L1G)).toBe(Level.L4K);
    expect(maxMappingLevel(s, 600, Level.L1G)).toBe(Level.L2M);
    expect(maxMappingLevel(s, 1100, Level.L1G)).toBe(Level.L4K);
  });

  it('guest and host addresses misaligned at 2M: the whole slot is 4K', () => {
    const s = slot({ hvaGfn: 1, npages: 2048 });
    expect(maxMappingLevel(s, 600, Level.L1G)).toBe(Level.L4K);
  });

  it('host backing caps the level', () => {
    expect(maxMappingLevel(slot({ backing: Level.L4K }), 600, Level.L1G)).toBe(Level.L4K);
  });

  it('dirty logging forces 4K', () => {
    expect(maxMappingLevel(slot({ dirtyLogging: true }), 600, Level.L1G)).toBe(Level.L4K);
  });

  it('private (guest_memfd) memory ignores the host backing', () => {
    expect(maxMappingLevel(slot({ backing: Level.L4K, npages: 262144 }), 600, Level.L1G, true)).toBe(Level.L1G);
  });

  it('a 1 GiB-aligned slot of 1 GiB with 1G backing maps 1G', () => {
    expect(maxMappingLevel(slot({ npages: 262144 }), 600, Level.L1G)).toBe(Level.L1G);
  });
});
