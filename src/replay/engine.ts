/**
 * The replay engine of one cell: a `Vm` plus one TLB and one stats object per
 * vCPU. It turns each access into TLB lookups, asks the VM to translate on a
 * miss, and delivers the VM's flush requests to every vCPU's TLB (on bare
 * metal x86 every flush is a full `kvm_flush_remote_tlbs`).
 */
import { Level, alignGfnDown, pagesPerLevel } from '../mmu/level.js';
import { PERM_EXEC, PERM_READ, PERM_RWX, PERM_WRITE } from '../mmu/entry.js';
import { VcpuStats } from '../mmu/stats.js';
import { AccessKind, Vm, type FlushSink, type VmOptions } from '../mmu/vm.js';
import { gpaToGfn } from '../mmu/address.js';
import { Tlb } from '../tlb/tlb.js';

const NEED: readonly number[] = [0, PERM_READ, PERM_WRITE, PERM_EXEC];

export interface EngineOptions extends VmOptions {
  vcpuCount: number;
  tlbEntries: number;
  tlbWays: number;
}

export class Engine implements FlushSink {
  readonly vm: Vm;
  readonly tlbs: Tlb[];
  readonly vcpuStats: VcpuStats[];

  constructor(options: EngineOptions) {
    this.vm = new Vm({ maxLevel: options.maxLevel }, this);
    this.tlbs = [];
    this.vcpuStats = [];
    for (let i = 0; i < options.vcpuCount; i++) {
      this.tlbs.push(new Tlb(options.tlbEntries, options.tlbWays));
      this.vcpuStats.push(new VcpuStats());
    }
  }

  /**
   * One guest access of `kind` to [gpa, gpa + sizeBytes). Every translation
   * it spans is one TLB lookup; a lookup that misses or lacks the permission
   * counts once as a miss and goes to the VM (which may fault). MMIO leaves
   * no translation, so the walk moves on by 4 KiB.
   */
  access(vcpu: number, kind: AccessKind, gpa: number, sizeBytes: number): void {
    const stats = this.vcpuStats[vcpu];
    const tlb = this.tlbs[vcpu];
    const need = NEED[kind];
    stats.accesses++;
    let gfn = gpaToGfn(gpa);
    const lastGfn = gpaToGfn(gpa + sizeBytes - 1);
    while (gfn <= lastGfn) {
      let level: Level = tlb.lookup(gfn);
      if (level !== (0 as Level) && (tlb.hitPerms & need) !== 0) {
        stats.tlb_hits++;
      } else {
        stats.tlb_misses++;
        const word = this.vm.translate(gfn, kind, stats);
        if (word === 0) {
          gfn++;
          continue;
        }
        level = this.vm.translatedLevel;
        tlb.fill(gfn, level, word & PERM_RWX);
      }
      gfn = alignGfnDown(gfn, level) + pagesPerLevel(level);
    }
  }

  /** FlushSink: x86 without a range-flush hook flushes every vCPU's TLB whole. */
  requestFlush(_startGfn: number, _endGfn: number): void {
    const vmStats = this.vm.stats;
    vmStats.flush_requests++;
    for (let i = 0; i < this.tlbs.length; i++) {
      vmStats.tlb_entries_flushed += this.tlbs[i].flushAll();
      this.vcpuStats[i].tlb_flushes++;
    }
  }
}
