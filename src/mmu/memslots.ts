/**
 * Memslots: `[baseGfn, baseGfn + npages)` of guest memory backed by host
 * memory at `hvaGfn` (the host virtual frame of `baseGfn`). No memslot at a
 * GFN means MMIO. Slots never overlap (KVM_SET_USER_MEMORY_REGION refuses it).
 */
import { type Level, pagesPerLevel } from './level.js';

/** One memslot. */
export interface Memslot {
  /** User-visible id (`x_slot` in traces, order of `--memslot` flags otherwise). */
  id: number;
  baseGfn: number;
  npages: number;
  /** Host page size behind the slot: 4K anonymous, 2M THP/hugetlbfs, 1G hugetlbfs. */
  backing: Level;
  /** Host virtual frame number of `baseGfn`; equal to `baseGfn` unless the layout says otherwise. */
  hvaGfn: number;
  /** KVM_MEM_READONLY: writes exit to userspace. */
  readOnly: boolean;
  /** KVM_MEM_LOG_DIRTY_PAGES. */
  dirtyLogging: boolean;
  /** KVM_MEM_GUEST_MEMFD: private memory (its GFNs start with the private attribute). */
  private: boolean;
  /** arm64 VM_PFNMAP memory behind the slot: Device or Normal (cacheable) memory type, or a COW mapping. */
  pfnmap: PfnmapKind;
}

/** Kinds of VM_PFNMAP memory a memslot can sit on; `none` for ordinary memory. */
export const PFNMAP_KINDS = ['none', 'device', 'normal', 'cow'] as const;
export type PfnmapKind = (typeof PFNMAP_KINDS)[number];

/**
 * A copy of `slot` with its fields in one fixed order, made by one object
 * literal, so that every memslot the VM holds (`MemslotSet.add` copies each)
 * has one hidden class. A slot built by spreading (`{ ...plainSlot(...),
 * hvaGfn }`) changes class after V8's first few clones of that spread: the
 * fault path, compiled for the first class, deoptimized on the tenth cell a
 * worker replayed (docs/benchmarks.md, "Warm-up, and one hidden class per memslot").
 */
export function memslot(slot: Memslot): Memslot {
  return {
    id: slot.id,
    baseGfn: slot.baseGfn,
    npages: slot.npages,
    backing: slot.backing,
    hvaGfn: slot.hvaGfn,
    readOnly: slot.readOnly,
    dirtyLogging: slot.dirtyLogging,
    private: slot.private,
    pfnmap: slot.pfnmap,
  };
}

/** A slot with every flag at its default, for callers that only know the range. */
export function plainSlot(id: number, baseGfn: number, npages: number, backing: Level): Memslot {
  return { id, baseGfn, npages, backing, hvaGfn: baseGfn, readOnly: false, dirtyLogging: false, private: false, pfnmap: 'none' };
}

/** Thrown for a memslot change KVM would refuse; the replay turns it into a located error. */
export class MemslotError extends Error {}

/** The VM's memslots, sorted by `baseGfn`. */
export class MemslotSet {
  private slots: Memslot[] = [];
  /** Last slot found, checked first: accesses are local. */
  private lastHit: Memslot | undefined;

  /** All slots in GFN order (do not mutate the array). */
  all(): readonly Memslot[] {
    return this.slots;
  }

  /** Add a copy of `slot` (`memslot`: the set's own object, of the one class); refuses overlap and duplicate ids. */
  add(slot: Memslot): void {
    if (slot.npages <= 0) throw new MemslotError(`memslot ${slot.id}: size must be at least 4 KiB`);
    for (const other of this.slots) {
      if (other.id === slot.id) throw new MemslotError(`memslot ${slot.id} already exists`);
      if (slot.baseGfn < other.baseGfn + other.npages && other.baseGfn < slot.baseGfn + slot.npages) {
        throw new MemslotError(`memslot ${slot.id} overlaps memslot ${other.id}`);
      }
    }
    this.slots.push(memslot(slot));
    this.slots.sort((a, b) => a.baseGfn - b.baseGfn);
  }

  /** Put back a slot `remove` returned, as it is: the same object, so what is keyed by it (its dirty bitmap) stays. */
  restore(slot: Memslot): void {
    this.slots.push(slot);
    this.slots.sort((a, b) => a.baseGfn - b.baseGfn);
  }

  /** Remove slot `id` and return it. */
  remove(id: number): Memslot {
    const index = this.slots.findIndex((s) => s.id === id);
    if (index < 0) throw new MemslotError(`memslot ${id} does not exist`);
    const [slot] = this.slots.splice(index, 1);
    if (this.lastHit === slot) this.lastHit = undefined;
    return slot;
  }

  /** Slot `id`, or throws. */
  byId(id: number): Memslot {
    const slot = this.slots.find((s) => s.id === id);
    if (!slot) throw new MemslotError(`memslot ${id} does not exist`);
    return slot;
  }

  /** The slot holding `gfn`, or undefined (MMIO). Binary search. */
  find(gfn: number): Memslot | undefined {
    const hit = this.lastHit;
    if (hit && gfn >= hit.baseGfn && gfn < hit.baseGfn + hit.npages) return hit;
    let lo = 0;
    let hi = this.slots.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const slot = this.slots[mid];
      if (gfn < slot.baseGfn) hi = mid - 1;
      else if (gfn >= slot.baseGfn + slot.npages) lo = mid + 1;
      else {
        this.lastHit = slot;
        return slot;
      }
    }
    return undefined;
  }
}

/**
 * KVM's `lpage_info[level].disallow_lpage` for `gfn` (`kvm_alloc_memslot_metadata`):
 * true for the first and last huge frame when the slot's start or end is not
 * aligned to `level`, and for the whole slot when the guest and host
 * addresses are misaligned at that level (`(base_gfn ^ userspace_addr >> 12)`).
 */
export function disallowLargePage(slot: Memslot, gfn: number, level: Level): boolean {
  const pages = pagesPerLevel(level);
  if ((slot.baseGfn - slot.hvaGfn) % pages !== 0) return true;
  const frameStart = gfn - (gfn % pages);
  return frameStart < slot.baseGfn || frameStart + pages > slot.baseGfn + slot.npages;
}
