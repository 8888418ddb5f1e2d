/**
 * Two vCPUs' views of one shared stage-2 on one thread, so a race can be
 * staged step by step: each view is the model's `PageTable` over its own
 * `SharedEntryStore` instance of the same buffer, counting leaves into its
 * own `VmStats` (as each worker's `Vm` does). `beforeNextWrite` runs a
 * callback just before a view's next cmpxchg: the other vCPU's step that
 * lands between a walk and its write.
 */
import { Level } from '../../src/mmu/level.js';
import { PageTable } from '../../src/mmu/pageTable.js';
import { VmStats } from '../../src/mmu/stats.js';
import { SharedEntryStore } from '../../src/replay/perVcpu/sharedEntryStore.js';

/** A shared store whose next `trySet` first runs a staged step. */
export class StagedStore extends SharedEntryStore {
  private staged: (() => void) | undefined;

  beforeNextWrite(step: () => void): void {
    this.staged = step;
  }

  override trySet(index: number, oldWord: number, newWord: number): boolean {
    const step = this.staged;
    this.staged = undefined;
    step?.();
    return super.trySet(index, oldWord, newWord);
  }
}

export interface SharedView {
  table: PageTable;
  store: StagedStore;
  stats: VmStats;
}

/** One view of `buffer`, with its own counts. */
export function sharedView(buffer: SharedArrayBuffer, permOnlyChangeIsSpurious = false): SharedView {
  const store = new StagedStore(buffer);
  const table = new PageTable(store, store.rootLevel, permOnlyChangeIsSpurious);
  const stats = new VmStats();
  table.listener = {
    onLeafChange(_gfn, level, oldWord, newWord) {
      if (oldWord !== 0) stats.countLeaf(level, oldWord, -1);
      if (newWord !== 0) stats.countLeaf(level, newWord, 1);
    },
  };
  return { table, store, stats };
}

/** Two views of a fresh shared table of `capacityTables` pages. */
export function twoViews(capacityTables = 16): [SharedView, SharedView] {
  const buffer = SharedEntryStore.allocate(Level.L512G, capacityTables);
  return [sharedView(buffer), sharedView(buffer)];
}
