/**
 * One vCPU's side of the replay: its TLB hierarchy, optional page-walk
 * cache, the L1 slots it remembers for the fast path (l1SlotCache.ts), the
 * translations a flush dropped while still valid (for `refill_misses`), and
 * its counters. It turns a guest access into TLB lookups, asks the VM to
 * translate on a last-level miss (which may fault), counts the walk, fills
 * the TLB, and carries out the flushes that reach this vCPU.
 *
 * The deterministic engine holds one per vCPU and calls `flush` on each when
 * the VM requests a flush; a per-vCPU worker holds one and calls `flush` with
 * what its flush mailbox delivered. As drcachesim keeps the fast path inside
 * the device, the fast path lives here (`access`, `cachedHit`, `probeL1`);
 * statistics stay in `VcpuStats`.
 */
import { Level, PAGE_SIZE_BYTES, alignGfnDown, pagesPerLevel } from '../mmu/level.js';
import { PERM_EXEC, PERM_READ, PERM_RWX, PERM_WRITE } from '../mmu/entry.js';
import { VcpuStats, type VmStats } from '../mmu/stats.js';
import type { Vm } from '../mmu/vm.js';
import { AccessKind } from '../mmu/vmOptions.js';
import { TlbHierarchy, TlbHit, nothingProbedBefore } from '../tlb/tlbHierarchy.js';
import type { TlbArray } from '../tlb/tlbArray.js';
import { tlbTag } from '../tlb/tlbTag.js';
import { L1SlotCache, cachedHitOf, hitsLast, placeHitOf } from './l1SlotCache.js';
import type { TlbGeometry } from '../tlb/tlbPresets.js';
import { PageWalkCache } from '../tlb/pageWalkCache.js';
import { TagTable } from '../tlb/tagTable.js';
import { GuestWalker } from './guestWalk.js';
import { AtEmulator } from './atEmulation.js';
import { ReachFeed } from './reachFeed.js';
import type { ReachRing } from './reachRing.js';
import type { AtVariant } from '../trace/atVariant.js';

/** Permission each access kind needs (AccessKind.Read/Write/Exec). */
export const NEED_BY_KIND: readonly number[] = [0, PERM_READ, PERM_WRITE, PERM_EXEC];
/** 1 / PAGE_SIZE_BYTES: `Math.floor(gpa * FRAMES_PER_BYTE)` is `gpaToGfn(gpa)` without a division (exact: a power of two). */
export const FRAMES_PER_BYTE = 1 / PAGE_SIZE_BYTES;

/** What `probeL1` found. */
export const L1_HIT = 1;
export const L1_NO_PERMISSION = 0;
export const L1_ABSENT = -1;
export type L1Probe = typeof L1_HIT | typeof L1_NO_PERMISSION | typeof L1_ABSENT;

/** What a vCPU's access path is made of (per scenario). */
export interface AccessPathOptions {
  tlb: TlbGeometry;
  /** Paging-structure caches for the upper levels of stage-2 walks. */
  pwc: boolean;
  /** Guest stage-1 levels walked over stage-2 on each miss (0: none; see guestWalk.ts). */
  guestLevels: number;
  /** Feed a TLB reach curve (src/tlb/reachCurve.ts) with this path's lookups and flushes; off by default. */
  reach?: boolean;
  /** With `reach`: the cell's reach thread, which computes the curve of path `vcpu` as its feed `vcpu` (reachRing.ts); default this thread. */
  reachRing?: ReachRing;
}

export class VcpuAccessPath {
  readonly stats = new VcpuStats();
  readonly tlb: TlbHierarchy;
  private readonly pwc: PageWalkCache | undefined;
  private readonly guest: GuestWalker | undefined;
  private readonly atEmulator: AtEmulator;
  private readonly rootLevel: Level;
  /** Tags (`firstRawGfn * 4 + level`) of valid translations a flush dropped (value 1; a typed hash: a flush adds hundreds). */
  private readonly refill = new TagTable();
  /** The L1 slots the fast path remembers (this path's are those of path `slotIndex`). */
  private readonly cache: L1SlotCache;
  private readonly slotIndex: number;
  /** The L1 arrays probed by a data access ([0]) and a fetch ([1]). */
  private readonly l1Arrays: readonly (readonly TlbArray[])[];
  /** The TLB reach curve, fed what this TLB sees (reachFeed.ts), or undefined (`--no-tlb-reach`). */
  readonly reach: ReachFeed | undefined;

  /**
   * vCPU `vcpu` of `vm`. `cache`: the group's L1 slot cache and this path's
   * index in it; by default a group of its own.
   */
  constructor(
    readonly vcpu: number,
    private readonly vm: Vm,
    options: AccessPathOptions,
    cache: { slots: L1SlotCache; index: number } = { slots: new L1SlotCache(1, options.tlb), index: 0 },
  ) {
    this.cache = cache.slots;
    this.slotIndex = cache.index;
    this.tlb = new TlbHierarchy(options.tlb);
    this.tlb.attachFirstPlace(this.cache.firstPlace, this.slotIndex);
    this.l1Arrays = [this.tlb.l1For(false), this.tlb.l1For(true)];
    this.rootLevel = vm.tables[0].rootLevel;
    this.pwc = options.pwc ? new PageWalkCache(this.rootLevel) : undefined;
    this.guest = options.guestLevels > 0 ? new GuestWalker(vm, options.guestLevels, (gfn, level) => this.stage2Refs(gfn, level)) : undefined;
    this.atEmulator = new AtEmulator(vm, this.guest);
    this.reach = options.reach === true ? new ReachFeed(options.reachRing, vcpu) : undefined;
  }

  /** An `AT <variant>` of guest virtual address `gva` trapped from this vCPU (atEmulation.ts); no TLB lookup or fill. */
  at(variant: AtVariant, gva: number): void {
    this.atEmulator.at(variant, gva, this.stats);
  }

  /**
   * The second part of the fast path: does single frame `gfn` hit a
   * first-level array with the permission `need`, exactly as the lookup would
   * find it (arrays in lookup order)? `L1_HIT`: yes, the entry is now the most
   * recent of its set and in the slot cache. `L1_NO_PERMISSION`: found
   * without the permission, nothing changed. `L1_ABSENT`: in no first-level
   * array, nothing changed (`lookupAll` may then start past L1).
   */
  probeL1(gfn: number, exec: number, need: number): L1Probe {
    const arrays = this.l1Arrays[exec];
    for (let a = 0; a < arrays.length; a++) {
      const array = arrays[a];
      const slot = array.probe(gfn);
      if (slot < 0) continue;
      const perms = array.permsAt(slot);
      if ((perms & need) === 0) return L1_NO_PERMISSION;
      this.useProbed(arrays, a, slot, gfn, exec, perms);
      return L1_HIT;
    }
    return L1_ABSENT;
  }

  /**
   * `probeL1`'s hit: `slot` of `arrays[a]` translates `gfn` with `perms`.
   * The entry becomes the most recent of its set and is remembered by the
   * slot cache. A method of its own: a miss-heavy replay never calls it, and
   * the probe's loop stays small enough to be inlined into the replay loop
   * beside `cachedHit`.
   */
  private useProbed(arrays: readonly TlbArray[], a: number, slot: number, gfn: number, exec: number, perms: number): void {
    const array = arrays[a];
    array.touch(slot);
    const level = array.levelAt(slot);
    const cache = this.cache;
    const s = this.slotIndex;
    // The frames it serves as the last translation: its huge page's when nothing probed before it is held.
    const range = level !== Level.L4K && nothingProbedBefore(arrays, a, level);
    const first = range ? alignGfnDown(gfn, level) : gfn;
    const end = range ? first + pagesPerLevel(level) : gfn + 1;
    // At a first place: in the index (again, if another took its place); else, or while the index may not serve it, here.
    if (!this.tlb.indexFirstPlace(array, slot)) cache.remember(s, gfn, exec, array, slot, first, end);
    if (range) cache.rememberRange(s, first, end, exec, array, slot);
    cache.setLast(s, first, end, exec, perms);
    if (this.reach !== undefined) this.reach.lookup(array.tagAt(slot), true);
  }

  /**
   * One guest access of `kind` to [gpa, gpa + sizeBytes). Every translation
   * it spans is one TLB lookup; see `lookupAll`.
   */
  access(kind: AccessKind, gpa: number, sizeBytes: number): void {
    const stats = this.stats;
    stats.accesses++;
    const gfn = Math.floor(gpa * FRAMES_PER_BYTE);
    const lastGfn = sizeBytes === 1 ? gfn : Math.floor((gpa + sizeBytes - 1) * FRAMES_PER_BYTE);
    if (gfn === lastGfn) {
      const exec = kind === AccessKind.Exec ? 1 : 0;
      const need = NEED_BY_KIND[kind];
      if (hitsLast(this.cache.ranges, this.slotIndex, gfn, kind)) {
        stats.tlb_hits++;
        if (this.reach !== undefined) this.reach.lookupLast();
        return;
      }
      const placeLevel = placeHitOf(this.cache, this.slotIndex, kind, gfn);
      if (placeLevel !== 0) {
        stats.tlb_hits++;
        if (this.reach !== undefined) this.reach.lookup(tlbTag(alignGfnDown(gfn, placeLevel), placeLevel), true);
        return;
      }
      const c = cachedHitOf(this.cache, this.slotIndex, gfn, exec, need);
      if (c >= 0) {
        stats.tlb_hits++;
        if (this.reach !== undefined) this.reach.lookup(this.cache.tagOf(c), true);
        return;
      }
    }
    if (this.pastCache(kind, gfn, lastGfn)) stats.tlb_hits++;
  }

  /**
   * An access of `kind` to frames [gfn, lastGfn] that the slot cache did
   * not serve (the engine's batch loop checks it inline): for a single frame
   * the L1 probe, else (or when it misses) every lookup (`lookupAll`,
   * starting past L1 when the probe found no entry). True when the probe
   * served it: nothing counted, the caller counts the hit; false when
   * `lookupAll` ran and counted its lookups (the caller counts `accesses`
   * either way).
   */
  pastCache(kind: AccessKind, gfn: number, lastGfn: number): boolean {
    let pastL1 = false;
    if (gfn === lastGfn) {
      const probe = this.probeL1(gfn, kind === AccessKind.Exec ? 1 : 0, NEED_BY_KIND[kind]);
      if (probe === L1_HIT) return true;
      pastL1 = probe === L1_ABSENT;
    }
    this.lookupAll(kind, gfn, lastGfn, pastL1);
    return false;
  }

  /**
   * The lookups of an access (after `accesses` is counted and the fast path
   * missed): frames [gfn, lastGfn], one lookup per translation. A lookup that
   * misses the last level, or hits without the permission, counts once as a
   * miss and goes to the VM (which may fault); a translation found is walked
   * (`walk_refs`) and filled. MMIO leaves no translation, so the access moves
   * on by 4 KiB. `pastL1`: the caller's `probeL1` found frame `gfn` in no
   * first-level array, so its lookup starts at L2.
   */
  lookupAll(kind: AccessKind, gfn: number, lastGfn: number, pastL1: boolean): void {
    const stats = this.stats;
    const need = NEED_BY_KIND[kind];
    const exec = kind === AccessKind.Exec ? 1 : 0;
    const tlb = this.tlb;
    this.cache.epochs[this.slotIndex]++; // this may fill L1: entries cached past its first place are stale
    this.cache.forgetLast(this.slotIndex);
    let skipL1 = pastL1;
    while (gfn <= lastGfn) {
      let level: Level = skipL1 ? tlb.lookupPastL1(gfn, exec === 1) : tlb.lookup(gfn, exec === 1);
      skipL1 = false;
      const absent = level === (0 as Level);
      let perms = tlb.hitPerms;
      let faultsBefore = -1; // reach curve: -1 for a hit, -2 a hit without the permission, else the faults before translating
      if (level !== (0 as Level) && (perms & need) !== 0) {
        stats.tlb_hits++;
        if (tlb.hit === TlbHit.L2) stats.l1_misses++;
      } else {
        stats.tlb_misses++;
        stats.l1_misses++;
        if (tlb.hasL2) stats.l2_misses++;
        if (this.refill.size > 0) this.countRefill(gfn);
        if (this.reach !== undefined) faultsBefore = level !== (0 as Level) ? -2 : stats.faults_missing + stats.faults_permission;
        const word = this.vm.translate(gfn, kind, stats);
        if (word === 0) {
          if (this.reach !== undefined) this.reach.missWithoutFill(); // MMIO: a miss at every size, nothing filled
          gfn++;
          continue;
        }
        level = this.vm.translatedLevel;
        stats.walk_refs += this.stage2Refs(gfn, level);
        if (this.guest !== undefined) {
          // 2D walk: the guest's page-table reads first; the combined entry is 4K (guest pages are 4K).
          stats.walk_refs += this.guest.guestRefs(gfn, stats);
          level = Level.L4K;
        }
        perms = word & PERM_RWX;
        // The lookup found no entry at any level (`absent`: nothing fills a TLB in between), so the fill need not look for one.
        tlb.fill(gfn, level, perms, exec === 1, absent);
      }
      const first = alignGfnDown(gfn, level);
      gfn = first + pagesPerLevel(level);
      // A fault changed the mapping: every copy a TLB of any size holds predates it, a miss at every size.
      if (this.reach !== undefined)
        this.reach.lookup(tlbTag(first, level), faultsBefore === -1 || faultsBefore === stats.faults_missing + stats.faults_permission);
    }
  }

  /**
   * Carry out flushes that reached this vCPU: everything when `full`, else
   * the raw frame ranges `drop` (`dropCount` flat pairs). `requested` holds
   * the ranges the requests named (`requestedCount` pairs): what a full flush
   * drops outside them is collateral. Every dropped entry still valid is
   * remembered, so its next miss counts as a refill miss. Counts go to this
   * vCPU's stats and to `vmStats`.
   */
  flush(full: boolean, drop: Float64Array, dropCount: number, requested: Float64Array, requestedCount: number, vmStats: VmStats): void {
    const tlb = this.tlb;
    let dropped = 0;
    if (full) {
      let inRequest = 0;
      dropped = tlb.flushAll((first, level, perms) => {
        if (overlaps(requested, requestedCount, first, first + pagesPerLevel(level))) inRequest++;
        this.rememberIfValid(first, level, perms);
      });
      vmStats.tlb_entries_flushed_collateral += dropped - inRequest;
    } else {
      // Only the entries dropped can be refills (a range flush has no collateral): each is checked as it goes.
      for (let r = 0; r < dropCount; r++) dropped += tlb.flushRange(drop[r * 2], drop[r * 2 + 1], this.rememberIfValid);
    }
    vmStats.tlb_entries_flushed += dropped;
    if (this.reach !== undefined) this.reach.flush(full, drop, dropCount);
    this.cache.forgetLast(this.slotIndex);
    this.pwc?.clear();
    this.stats.tlb_flushes++;
  }

  /**
   * Debug check of TLB coherence: no entry may translate a frame whose
   * stage-2 mapping is absent or has fewer permissions. A description of the
   * first violation, or undefined.
   */
  coherenceProblem(): string | undefined {
    let problem: string | undefined;
    this.tlb.forEachEntry((first, level, perms) => {
      if (problem !== undefined) return;
      const step = level === Level.L1G ? pagesPerLevel(Level.L2M) : 1;
      for (let gfn = first; gfn < first + pagesPerLevel(level); gfn += step) {
        const word = this.vm.mappingOf(gfn);
        if (word === 0 || (word & perms) !== perms) {
          problem = `vCPU ${this.vcpu}: TLB entry for frame 0x${first.toString(16)} (level ${level}) outlived its mapping at 0x${gfn.toString(16)}`;
          return;
        }
      }
    });
    return problem;
  }

  /** References of a stage-2 walk for `gfn` ending at a leaf of `level`, through this vCPU's PWC. */
  private stage2Refs(gfn: number, level: Level): number {
    const pwc = this.pwc;
    return pwc === undefined ? this.rootLevel - level + 1 : pwc.walk(gfn, level);
  }

  /** A TLB entry being flushed: remembered when it still matches the stage-2, so its next miss is a refill miss (one closure per path). */
  private readonly rememberIfValid = (first: number, level: Level, perms: number): void => {
    if (this.stillValid(first, level, perms)) this.refill.set(tlbTag(first, level), 1);
  };

  /** True when a TLB entry still matches the stage-2: same level, permissions at least its own. */
  private stillValid(rawFirst: number, level: Level, perms: number): boolean {
    const word = this.vm.mappingOf(rawFirst);
    return word !== 0 && this.vm.mappingLevel === level && (word & perms) === perms;
  }

  private countRefill(gfn: number): void {
    const refill = this.refill;
    for (let level = Level.L4K; level <= Level.L1G; level++) {
      if (refill.delete(tlbTag(alignGfnDown(gfn, level), level)) >= 0) {
        this.stats.refill_misses++;
        return;
      }
    }
  }
}

/** True when [first, end) overlaps one of the `count` flat pairs of `ranges`. */
function overlaps(ranges: Float64Array, count: number, first: number, end: number): boolean {
  for (let r = 0; r < count; r++) if (first < ranges[r * 2 + 1] && end > ranges[r * 2]) return true;
  return false;
}
