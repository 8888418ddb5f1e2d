/**
 * Program virtual address -> GPA for lackey traces: each 1 GiB region a
 * program touches gets its own 1 GiB of guest-physical memory, handed out
 * densely (0, 1 GiB, 2 GiB, ...) in the order the import first touches the
 * region, and the offset within the region is kept. 4K, 2M and 1G locality is
 * therefore preserved exactly, while a program's scattered address space
 * (code near 0x400000, heap, libraries near 0x7f..., stack near 0x7ffc...)
 * packs into a few GiB of GPA.
 *
 * Regions are keyed by (program, virtual region): two programs (two vCPUs)
 * never share a GPA, even at the same virtual address. GPA slots come from one
 * counter shared by all programs, so with one program region k (the k-th
 * distinct region it touches) is GPA [k GiB, (k + 1) GiB).
 */
import { GPA_LIMIT } from '../../mmu/address.js';

/** Bytes of a region: 1 GiB, the largest mapping level, so every level's locality survives. */
export const REGION_BYTES = 2 ** 30;
/** Regions that fit below the 52-bit GPA limit. */
export const MAX_REGIONS = GPA_LIMIT / REGION_BYTES;

/** Assignments remembered for the header comment; the table itself has no limit but the GPA space. */
export const MAX_LISTED = 64;

export class RegionMap {
  /** Per program: virtual region number -> GPA slot. */
  private readonly perProgram: Map<number, number>[] = [];
  /** The first `MAX_LISTED` assignments, in order, for the header comment. */
  readonly assigned: { program: number; region: number; slot: number }[] = [];
  private nextSlot = 0;

  /**
   * GPA slot of virtual region `region` (virtual address / 1 GiB, up to 2^34)
   * of `program`, assigning the next free slot on first use. Undefined when
   * the 52-bit GPA space is full.
   */
  slot(program: number, region: number): number | undefined {
    let table = this.perProgram[program];
    if (table === undefined) {
      table = new Map();
      this.perProgram[program] = table;
    }
    const known = table.get(region);
    if (known !== undefined) return known;
    if (this.nextSlot >= MAX_REGIONS) return undefined;
    const slot = this.nextSlot++;
    table.set(region, slot);
    if (this.assigned.length < MAX_LISTED) this.assigned.push({ program, region, slot });
    return slot;
  }

  /** Regions assigned so far. */
  get size(): number {
    return this.nextSlot;
  }
}
