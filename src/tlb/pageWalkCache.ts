/**
 * Paging-structure caches (Intel SDM 4.10.3 "Paging-Structure Caches";
 * arm64 walk caches): a small fully associative LRU cache per upper table
 * level, keyed by the frame-number bits that select that level's entry. A
 * walk starts below the deepest cached entry, so it makes fewer memory
 * references. Simplification: every TLB flush clears them.
 */
import { type Level, pagesPerLevel } from '../mmu/level.js';

/** Entries per cached level (Skylake's PDE cache has 32; we use 32 for each level). */
export const PWC_ENTRIES = 32;

export class PageWalkCache {
  /** keys[level] holds tags of cached entries at that table level (2..rootLevel). */
  private readonly keys: Float64Array[] = [];
  private readonly stamps: Float64Array[] = [];
  private clock = 0;

  constructor(private readonly rootLevel: Level) {
    for (let level = 0; level <= rootLevel; level++) {
      this.keys.push(new Float64Array(PWC_ENTRIES).fill(-1));
      this.stamps.push(new Float64Array(PWC_ENTRIES));
    }
  }

  /**
   * Memory references of a walk for `gfn` ending at a leaf of `leafLevel`,
   * then caches the walk's upper entries. Without a cache hit this is
   * `rootLevel - leafLevel + 1`; a cached entry at level k lets the walk start
   * at level k - 1.
   */
  walk(gfn: number, leafLevel: Level): number {
    let start = this.rootLevel;
    for (let level = leafLevel + 1; level <= this.rootLevel; level++) {
      if (this.find(level, gfn) >= 0) {
        start = level - 1;
        break;
      }
    }
    for (let level = leafLevel + 1; level <= this.rootLevel; level++) this.insert(level, gfn);
    return start - leafLevel + 1;
  }

  clear(): void {
    for (const keys of this.keys) keys.fill(-1);
  }

  private key(level: Level, gfn: number): number {
    // An entry at table level L covers pagesPerLevel(L) frames: that region is its tag.
    return Math.floor(gfn / pagesPerLevel(level));
  }

  private find(level: Level, gfn: number): number {
    const key = this.key(level, gfn);
    const keys = this.keys[level];
    for (let i = 0; i < PWC_ENTRIES; i++) {
      if (keys[i] === key) {
        this.stamps[level][i] = ++this.clock;
        return i;
      }
    }
    return -1;
  }

  private insert(level: Level, gfn: number): void {
    if (this.find(level, gfn) >= 0) return;
    const keys = this.keys[level];
    const stamps = this.stamps[level];
    // Victim: the first empty slot, else the least recently used.
    let victim = 0;
    let oldest = Infinity;
    for (let i = 0; i < PWC_ENTRIES; i++) {
      const stamp = keys[i] === -1 ? -1 : stamps[i];
      if (stamp < oldest) {
        oldest = stamp;
        victim = i;
      }
    }
    keys[victim] = this.key(level, gfn);
    stamps[victim] = ++this.clock;
  }
}
