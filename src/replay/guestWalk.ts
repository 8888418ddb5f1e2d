/**
 * Two-dimensional walks (seed 003; AMD NPT / Intel EPT nested paging): with a
 * guest stage-1 of n levels over a stage-2 of m levels, a TLB miss reads each
 * guest page-table entry — itself a GPA that stage-2 must translate — and then
 * translates the data GPA: up to (n + 1)(m + 1) - 1 memory references (24 for
 * 4 over 4).
 *
 * The guest's stage-1 is synthetic: guest virtual addresses equal GPAs,
 * mapped with 4 KiB guest pages, and the guest's page-table pages live at the
 * top of the lowest memslot, level by level downward: the root, then the
 * PDPTs, PDs and PTs it takes to map that slot (frames outside the slot
 * share them, modulo each level's region). A guest page-table page that stage-2 has
 * not mapped faults like any guest access (counted in `faults_pt`).
 */
import { type Level, pagesPerLevel } from '../mmu/level.js';
import type { Vm } from '../mmu/vm.js';
import { AccessKind } from '../mmu/vmOptions.js';
import { VcpuStats } from '../mmu/stats.js';

/** Guest stage-1 levels accepted by `--guest-levels` (0: no guest stage-1 modelled). */
export const GUEST_LEVELS = [0, 4] as const;

export class GuestWalker {
  /** Faults of page-table reads land here, then move to `faults_pt`. */
  private readonly scratch = new VcpuStats();

  constructor(
    private readonly vm: Vm,
    private readonly guestLevels: number,
    /** Stage-2 walk cost of a frame mapped at a level (the engine's PWC-aware walk). */
    private readonly stage2Refs: (gfn: number, level: Level) => number,
  ) {
    this.tableGfns = new Float64Array(Math.max(1, guestLevels));
  }

  /** Guest page-table frames of the last `tablePages` call, root first. */
  readonly tableGfns: Float64Array;

  /** Guest stage-1 levels walked (4 with `--guest-levels 4`). */
  get levels(): number {
    return this.guestLevels;
  }

  /**
   * The guest page-table pages a stage-1 walk of `gfn` reads, root first,
   * into `tableGfns`; returns how many (0 without a memslot). The AT
   * emulation (atEmulation.ts) walks the same tables.
   */
  tablePages(gfn: number): number {
    const slot = this.vm.memslots.all()[0];
    if (slot === undefined) return 0;
    // Level regions, from the top of the slot down: the root, then as many
    // table pages per level as it takes to map the whole slot.
    let levelBase = 0;
    let n = 0;
    for (let g = this.guestLevels; g >= 1; g--) {
      const regionPages = Math.ceil(slot.npages / pagesPerLevel((g + 1) as Level));
      const index = Math.floor((gfn - slot.baseGfn) / pagesPerLevel((g + 1) as Level));
      const offset = (levelBase + (((index % regionPages) + regionPages) % regionPages)) % slot.npages;
      levelBase += regionPages;
      this.tableGfns[n++] = slot.baseGfn + slot.npages - 1 - offset;
    }
    return n;
  }

  /**
   * References made by the guest stage-1 part of a 2D walk for `gfn`, and the
   * stage-2 faults its page-table reads took (added to `stats.faults_pt`).
   */
  guestRefs(gfn: number, stats: VcpuStats): number {
    const n = this.tablePages(gfn);
    let refs = 0;
    for (let k = 0; k < n; k++) {
      const ptGfn = this.tableGfns[k];
      const before = this.scratch.faults;
      const word = this.vm.translate(ptGfn, AccessKind.Read, this.scratch);
      stats.faults_pt += this.scratch.faults - before;
      // The stage-2 walk for the page-table page, then the read of the guest entry.
      refs += (word === 0 ? 0 : this.stage2Refs(ptGfn, this.vm.translatedLevel)) + 1;
    }
    return refs;
  }
}
