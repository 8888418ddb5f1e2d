/** The listener of one alias's stage-2 table (src/mmu/vm.ts). */
import type { Level } from './level.js';
import type { LeafChangeListener } from './pageTable.js';

/** What hears every leaf change of every alias: the VM (`Vm.onLeafChange`). */
export interface AliasedLeafListener {
  onLeafChange(gfn: number, level: Level, oldWord: number, newWord: number, alias: number): void;
}

/** One alias's table listener: the VM's `onLeafChange` with the alias (one object per table, no closure). */
export class AliasLeafListener implements LeafChangeListener {
  constructor(
    private readonly vm: AliasedLeafListener,
    private readonly alias: number,
  ) {}

  onLeafChange(gfn: number, level: Level, oldWord: number, newWord: number): void {
    this.vm.onLeafChange(gfn, level, oldWord, newWord, this.alias);
  }
}
