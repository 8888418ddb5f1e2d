/** Resolves a scenario's `auto` values into the model's options, per arch, and the options of its TLBs and flush policy. */
import { archProfile } from '../mmu/arch/archProfile.js';
import { Level } from '../mmu/level.js';
import { StolenBits } from '../mmu/stolenBits.js';
import type { VmOptions } from '../mmu/vmOptions.js';
import { TLB_PRESETS, simpleGeometry } from '../tlb/tlbPresets.js';
import { FlushPolicy, type FlushFlags } from '../tlb/flushPolicy.js';
import type { Scenario } from './scenario.js';
import type { AccessPathOptions } from './vcpuAccessPath.js';

/** First GPA a 4-level stage-2 cannot translate (48 bits). */
export const FOUR_LEVEL_LIMIT_GPA = 2 ** 48;

/**
 * The model's options for `scenario`. `addressEndGpa` is the end of the
 * highest range the run can touch: beyond 48 bits the table gets a fifth level.
 */
export function vmOptionsFor(scenario: Scenario, addressEndGpa = 0): VmOptions {
  const profile = archProfile(scenario.arch);
  const stolen = scenario.stolenBits === 'auto' ? profile.defaultStolenGpaBits : scenario.stolenBits;
  return {
    maxLevel: scenario.maxLevel,
    profile,
    nxHugePages: scenario.nxHugePages && profile.hasNxHugePages,
    eagerSplit: profile.canSplit && (scenario.eagerSplit === 'auto' ? profile.eagerSplitDefault : scenario.eagerSplit === 'on'),
    dirtyLogOff: scenario.dirtyLogOff === 'auto' ? profile.dirtyLogOffDefault : scenario.dirtyLogOff,
    stolen: new StolenBits(stolen),
    fwb: scenario.fwb,
    tlbiRange: scenario.tlbiRange,
    dic: scenario.dic,
    refuseCowPfnmap: scenario.cowPfnmap === 'refuse',
    hwAf: scenario.hwAf,
    slotZapAll: scenario.slotZap === 'all' && profile.slotZapAllWithQuirk,
    privateHuge: scenario.privateHuge === 'on',
    rootLevel: addressEndGpa > FOUR_LEVEL_LIMIT_GPA ? Level.L256T : Level.L512G,
  };
}

/** A vCPU's TLB hierarchy, page-walk cache and guest walk for `scenario`. */
export function accessPathOptionsFor(scenario: Scenario): AccessPathOptions {
  return {
    tlb: scenario.tlb === 'simple' ? simpleGeometry(scenario.tlbEntries, scenario.tlbWays) : TLB_PRESETS[scenario.tlb],
    pwc: scenario.pwc,
    guestLevels: scenario.guestLevels,
  };
}

/** The flush policy of `scenario` for a VM with `vm`'s options. */
export function flushPolicyFor(scenario: Scenario, vm: VmOptions): FlushPolicy {
  return new FlushPolicy(flushFlagsFor(scenario), vm);
}

/** The scenario's flush flags (the arch's flush facts and the stolen bits come from the VM). */
export function flushFlagsFor(scenario: Scenario): FlushFlags {
  return { mode: scenario.flushMode, rangeFlush: scenario.rangeFlush, tlbiRange: scenario.tlbiRange, aliasFlush: scenario.aliasFlush };
}
