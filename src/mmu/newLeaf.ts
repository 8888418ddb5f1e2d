/**
 * What leaf a stage-2 fault installs: its level and its bits, from the arch
 * profile and the scenario's options (fixed per VM, so no string compare per
 * fault). The fault path (`Vm.mapFaultAt`), pre-fault (preFault.ts) and the end of
 * dirty logging (dirtyLogging.ts) all ask here, so each rule lives once.
 */
import { Level } from './level.js';
import { maxMappingLevel } from './mappingLevel.js';
import type { Memslot } from './memslots.js';
import { ATTR_DEVICE, ATTR_PRIVATE, PERM_EXEC, PERM_READ, PERM_WRITE } from './entry.js';
import type { VmStats } from './stats.js';
import { AccessKind, type VmOptions } from './vmOptions.js';

export class NewLeaf {
  /** x86 NX huge pages mitigation (`--nx-huge-pages`): huge leaves are not executable. */
  private readonly nxHugePages: boolean;
  private readonly readFaultWritableWhileLogging: boolean;
  private readonly execOnlyOnExecFault: boolean;
  private readonly maxLevel: Level;
  private readonly maxSharedLevel: Level;
  private readonly maxPrivateLevel: Level;

  /** `stats`: the VM's, where `level` counts `level_clamps`. */
  constructor(
    options: VmOptions,
    private readonly stats: VmStats,
  ) {
    const profile = options.profile;
    this.nxHugePages = options.nxHugePages;
    this.readFaultWritableWhileLogging = profile.readFaultWritableWhileLogging;
    this.execOnlyOnExecFault = profile.execOnlyOnExecFault;
    this.maxLevel = options.maxLevel;
    this.maxSharedLevel = profile.maxSharedLevel;
    // Upstream guest_memfd has no huge pages (__kvm_gmem_get_pfn: max_order 0): private memory maps 4K.
    this.maxPrivateLevel = options.privateHuge ? profile.maxPrivateLevel : Level.L4K;
  }

  /**
   * Level the fault path picks for `gfn`: `maxMappingLevel` capped by the
   * arch (pKVM 4K/2M, TDX private 4K) and, for private memory, by
   * guest_memfd (4K upstream, `privateHuge`), counting the clamps.
   */
  level(slot: Memslot, gfn: number, isPrivate: boolean): Level {
    const allowed = maxMappingLevel(slot, gfn, this.maxLevel, isPrivate);
    const archMax = isPrivate ? this.maxPrivateLevel : this.maxSharedLevel;
    if (allowed > archMax) {
      this.stats.level_clamps++;
      return archMax;
    }
    return allowed;
  }

  /** Level a fault would pick, without counting clamps (for host-side decisions). */
  levelQuiet(slot: Memslot, gfn: number, isPrivate: boolean): Level {
    const allowed = maxMappingLevel(slot, gfn, this.maxLevel, isPrivate);
    const archMax = isPrivate ? this.maxPrivateLevel : this.maxSharedLevel;
    return Math.min(allowed, archMax) as Level;
  }

  /**
   * Permission and attribute bits of a new leaf. Under dirty logging x86 maps
   * a read fault writable and logs the page at once; arm64 maps it read-only
   * so the first write faults. arm64 maps executable only on exec faults; NX
   * huge pages keep huge leaves non-executable (profile fields).
   */
  bits(slot: Memslot, kind: AccessKind, isPrivate: boolean, level: Level): number {
    const writable = !slot.readOnly && (!slot.dirtyLogging || kind === AccessKind.Write || this.readFaultWritableWhileLogging);
    const exec = this.execOnlyOnExecFault ? kind === AccessKind.Exec : !(this.nxHugePages && level > Level.L4K);
    const attrs = (isPrivate ? ATTR_PRIVATE : 0) | (slot.pfnmap === 'device' ? ATTR_DEVICE : 0);
    return PERM_READ | (writable ? PERM_WRITE : 0) | (exec ? PERM_EXEC : 0) | attrs;
  }
}
