/**
 * pKVM's host side (seed 000; arch/arm64/kvm/pkvm.c): the host kernel may
 * not write a protected guest's stage-2, so every change is a hypercall to
 * EL2, and the host mirrors the mappings in a tree ordered by GFN
 * (`struct pkvm_mapping`, walked in order by `for_each_mapping_in_range_safe`).
 *
 * The mirror follows the model's stage-2 through its leaf changes and counts
 * one hypercall per mapping per operation, by kind:
 * - a leaf appears: `__pkvm_host_share_guest` (tree insert);
 * - a leaf disappears: `__pkvm_host_unshare_guest` (tree remove);
 * - write permission removed: `__pkvm_host_wrprotect_guest`;
 * - a permission added: `__pkvm_host_relax_perms_guest`;
 * - a remote TLB flush (`kvm_arch_flush_remote_tlbs[_range]`): `__pkvm_tlb_flush_vmid`
 *   (`PkvmFlushSink`);
 * - aging (AGE): `__pkvm_host_test_clear_young_guest` per mapping; an access-flag
 *   fault (`--hw-af off`): `__pkvm_host_mkyoung_guest` (src/mmu/aging.ts).
 * A map of a GFN another vCPU mapped first (per-vCPU mode: the fault found no
 * leaf, then, under the mmu_lock, the table held one) is -EAGAIN, a spurious
 * fault (`faults_spurious`), counted here in `eagain`. Upstream
 * (`pkvm_pgtable_stage2_map` since PMD support, `pkvm-pmd`) finds the mapping
 * in the host tree first and makes no hypercall; seed 000 (`pkvm`) made the
 * `__pkvm_host_share_guest` hypercall, which EL2 refused (-EPERM -> -EAGAIN):
 * one share hypercall more (`shareBeforeTreeCheck`). The sequential replay
 * never asks for it: the stage-2 table maps a GFN once.
 *
 * Each vCPU's hyp memcache (`HypMemcache`) is topped up before a fault and
 * refilled before each share hypercall (`beforeFault`, `afterFault`).
 *
 * The tree is `GfnTree` (AVL over typed arrays): O(log n) insert, remove and
 * lookup, in-order range walks. Mappings shared above every other one wait
 * apart, in order, until the tree is read or changed otherwise (`tree`).
 */
import { type Level, pagesPerLevel } from '../level.js';
import { PERM_RWX, PERM_WRITE } from '../entry.js';
import { GfnTree } from './gfnTree.js';
import type { VcpuStats, VmStats } from '../stats.js';
import { HypMemcache } from './hypMemcache.js';
import { FlushOrigin, type FlushSink } from '../vmOptions.js';
import { grownTo } from '../../typedArrays.js';

/**
 * The VM's flush sink on a pKVM host (`is_protected_kvm_enabled()`):
 * `kvm_arch_flush_remote_tlbs` and `kvm_arch_flush_remote_tlbs_range`
 * (arch/arm64/kvm/mmu.c) are both the `__pkvm_tlb_flush_vmid` hypercall, a
 * full flush of the VMID whatever the range. Requests of those call sites
 * (`Generic`, `Range`) count one hypercall and go on as `All`; the TLBIs the
 * EL2 page-table code issues itself (`Tlbi`, `Ipa`) pass unchanged.
 */
export class PkvmFlushSink implements FlushSink {
  constructor(
    private readonly next: FlushSink,
    private readonly mirror: HypercallMirror,
  ) {}

  requestFlush(startGfn: number, endGfn: number, alias: number, origin: FlushOrigin): void {
    if (origin === FlushOrigin.Generic || origin === FlushOrigin.Range) {
      this.mirror.tlbFlushVmid();
      origin = FlushOrigin.All;
    }
    this.next.requestFlush(startGfn, endGfn, alias, origin);
  }
}

/** Hypercall names, as in arch/arm64/kvm/hyp/nvhe/hyp-main.c. */
export const HYPERCALL_KINDS = [
  'host_share_guest',
  'host_unshare_guest',
  'host_wrprotect_guest',
  'host_relax_perms_guest',
  'tlb_flush_vmid',
  'host_test_clear_young_guest',
  'host_mkyoung_guest',
] as const;
export type HypercallKind = (typeof HYPERCALL_KINDS)[number];

// Each kind's index in HYPERCALL_KINDS: the mirror counts by index in a typed
// array. Counted by name (`byKind[kind]++` in one method), the count became a
// megamorphic keyed store once a replay had made every kind, and every later
// fault of the process paid it (a fault-heavy pKVM cell 25% slower after one
// flush-heavy cell; docs/benchmarks.md).
const SHARE = HYPERCALL_KINDS.indexOf('host_share_guest');
const UNSHARE = HYPERCALL_KINDS.indexOf('host_unshare_guest');
const WRPROTECT = HYPERCALL_KINDS.indexOf('host_wrprotect_guest');
const RELAX_PERMS = HYPERCALL_KINDS.indexOf('host_relax_perms_guest');
const TLB_FLUSH_VMID = HYPERCALL_KINDS.indexOf('tlb_flush_vmid');
const TEST_CLEAR_YOUNG = HYPERCALL_KINDS.indexOf('host_test_clear_young_guest');
const MKYOUNG = HYPERCALL_KINDS.indexOf('host_mkyoung_guest');

/**
 * VM teardown (`pkvm_pgtable_stage2_destroy`) unshares every mapping still
 * shared: `count` is told of one `__pkvm_host_unshare_guest` for each. The
 * one place that counts it, for `HypercallMirror.destroy` and for the
 * per-vCPU merge of the mappings its workers left (runPerVcpu.ts).
 */
export function countTeardown(count: (kind: HypercallKind, n: number) => void, mappings: number): void {
  count('host_unshare_guest', mappings);
}

export class HypercallMirror {
  private readonly mappings = new GfnTree();
  /**
   * Mappings shared above every other one (faults in GFN order, the common
   * case), in order, not linked into the tree yet: they are linked when the
   * tree is read or changed otherwise (`tree`), and a teardown only counts
   * them, so a replay that unshares nothing before its end builds no tree
   * (the tree was a third of a fault-heavy pKVM replay). They are kept as
   * runs, `[firstGfn, nrPages, count]` triples: `count` mappings of `nrPages`
   * pages end to end from `firstGfn` (faults page after page make one run).
   * No mapping ends above `appendFloor`.
   */
  private runs: Float64Array = new Float64Array(3 * 16);
  private runCount = 0;
  /**
   * The mappings the runs hold (the sum of their counts), counted as they
   * are appended: a teardown adds it to counters without reading `runs`, whose
   * values would make those counters' fields doubles (docs/benchmarks.md).
   */
  private appendedMappings = 0;
  private appendFloor = 0;
  /** Hypercalls made, per kind (index in `HYPERCALL_KINDS`; also summed into `VmStats.hypercalls`). */
  private readonly counts = new Float64Array(HYPERCALL_KINDS.length);
  /** Maps refused because the GFN was already mapped (-EAGAIN). */
  eagain = 0;
  /** Per vCPU (its counters object), its hyp memcache. */
  private readonly memcaches = new Map<VcpuStats, HypMemcache>();
  /** The vCPU `memcacheOf` answered last, and its memcache. */
  private lastVcpu: VcpuStats | undefined;
  private lastMemcache: HypMemcache | undefined;
  /** `host_share_guest` calls when the current fault began (`beforeFault`). */
  private sharesAtFault = 0;

  /**
   * `shareBeforeTreeCheck`: seed 000's `pkvm_pgtable_stage2_map` makes the
   * share hypercall before knowing the GFN is mapped (a race costs one failed
   * hypercall); upstream checks its tree first. `memcacheMinPages`:
   * `kvm_mmu_cache_min_pages` (stage-2 levels - 1).
   */
  constructor(
    private readonly stats: VmStats,
    private readonly shareBeforeTreeCheck = false,
    private readonly memcacheMinPages = 3,
  ) {}

  /** Hypercalls by kind, as a record (a copy). */
  get byKind(): Record<HypercallKind, number> {
    return Object.fromEntries(HYPERCALL_KINDS.map((kind, i) => [kind, this.counts[i]])) as Record<HypercallKind, number>;
  }

  /** The host's tree of the mappings shared (`struct pkvm_mapping`), every one linked in. */
  get tree(): GfnTree {
    if (this.runCount > 0) this.linkAppended();
    return this.mappings;
  }

  /** The hyp memcache of the vCPU counting in `vcpu`. */
  memcacheOf(vcpu: VcpuStats): HypMemcache {
    if (vcpu === this.lastVcpu) return this.lastMemcache!; // a fault asks twice, and vCPUs fault in runs
    let cache = this.memcaches.get(vcpu);
    if (cache === undefined) {
      cache = new HypMemcache();
      this.memcaches.set(vcpu, cache);
    }
    this.lastVcpu = vcpu;
    this.lastMemcache = cache;
    return cache;
  }

  /**
   * `user_mem_abort` before the mmu_lock: `topup_hyp_memcache` unless this is
   * a permission fault outside dirty logging's write faults (`topUp` false).
   */
  beforeFault(vcpu: VcpuStats, topUp: boolean): void {
    if (topUp) this.memcacheOf(vcpu).topUp(this.memcacheMinPages);
    this.sharesAtFault = this.counts[SHARE];
  }

  /**
   * After the fault's map: `spurious` when it found the GFN mapped by another
   * vCPU (-EAGAIN; seed 000 pays a refused share hypercall for it). Each share
   * hypercall refilled the hyp memcache first (`pkvm_refill_memcache`); EL2's
   * map took `tablesLinked` table pages from it.
   */
  afterFault(vcpu: VcpuStats, spurious: boolean, tablesLinked: number): void {
    if (spurious) {
      this.eagain++;
      if (this.shareBeforeTreeCheck) this.call(SHARE);
    }
    if (this.counts[SHARE] === this.sharesAtFault) return;
    const cache = this.memcacheOf(vcpu);
    cache.refill(this.stats);
    cache.consume(tablesLinked);
  }

  /** Mirror one stage-2 leaf change (see file comment). */
  onLeafChange(gfn: number, level: Level, oldWord: number, newWord: number, _alias: number): void {
    if (oldWord === 0 && newWord !== 0) {
      this.call(SHARE);
      if (!this.share(gfn, pagesPerLevel(level))) this.eagain++;
    } else if (oldWord !== 0 && newWord === 0) {
      this.call(UNSHARE);
      this.tree.remove(gfn);
    } else if (oldWord !== 0 && newWord !== 0) {
      const removed = oldWord & PERM_RWX & ~newWord;
      const added = newWord & PERM_RWX & ~oldWord;
      if (removed & PERM_WRITE) this.call(WRPROTECT);
      if (added) this.call(RELAX_PERMS);
    }
  }

  /**
   * VM teardown (`pkvm_pgtable_stage2_destroy`): every mapping still shared is
   * unshared, in GFN order, removing each while walking the tree
   * (`for_each_mapping_in_range_safe`): one `__pkvm_host_unshare_guest` per
   * mapping. The order and the tree's rebalancing change no counter, so the
   * mappings are counted and the tree emptied at once (removing them one by
   * one was a third of a fault-heavy pKVM replay).
   */
  destroy(): void {
    countTeardown((kind, n) => this.call(HYPERCALL_KINDS.indexOf(kind), n), this.mappings.size + this.appendedMappings);
    this.mappings.clear();
    this.runCount = 0;
    this.appendedMappings = 0;
    this.appendFloor = 0;
  }

  /** The tree's insert of `[gfn, gfn + nrPages)` (false: it overlaps a mapping), kept for later above every mapping. */
  private share(gfn: number, nrPages: number): boolean {
    if (gfn < this.appendFloor) {
      const linked = this.tree.insert(gfn, nrPages);
      if (linked) this.appendFloor = Math.max(this.appendFloor, gfn + nrPages);
      return linked;
    }
    const runs = this.runs;
    const last = 3 * (this.runCount - 1);
    if (last >= 0 && runs[last + 1] === nrPages && runs[last] + nrPages * runs[last + 2] === gfn) {
      runs[last + 2]++; // the next mapping of the last run
    } else {
      if (last + 3 === runs.length) this.runs = grownTo(runs, runs.length * 2);
      this.runs[last + 3] = gfn;
      this.runs[last + 4] = nrPages;
      this.runs[last + 5] = 1;
      this.runCount++;
    }
    this.appendedMappings++;
    this.appendFloor = gfn + nrPages;
    return true;
  }

  /** Link the appended mappings into the tree, in order (each above every mapping linked before it). */
  private linkAppended(): void {
    const runs = this.runs;
    for (let r = 0; r < 3 * this.runCount; r += 3) {
      for (let k = 0; k < runs[r + 2]; k++) {
        if (!this.mappings.insert(runs[r] + k * runs[r + 1], runs[r + 1])) throw new Error('pKVM mirror: an appended mapping overlaps another');
      }
    }
    this.runCount = 0;
    this.appendedMappings = 0;
  }

  /** `__pkvm_host_test_clear_young_guest` of one mapping (`pkvm_pgtable_stage2_test_clear_young`, aging.ts). */
  testClearYoung(): void {
    this.call(TEST_CLEAR_YOUNG);
  }

  /** `__pkvm_host_mkyoung_guest` (`pkvm_pgtable_stage2_mkyoung`, an access-flag fault; aging.ts). */
  mkyoung(): void {
    this.call(MKYOUNG);
  }

  /** `__pkvm_tlb_flush_vmid`: `kvm_arch_flush_remote_tlbs[_range]` on a pKVM host. */
  tlbFlushVmid(): void {
    this.call(TLB_FLUSH_VMID);
  }

  /** `n` hypercalls of kind `kind` (an index in `HYPERCALL_KINDS`). */
  private call(kind: number, n = 1): void {
    this.counts[kind] += n;
    this.stats.hypercalls += n;
  }
}
