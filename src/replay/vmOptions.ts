/** Resolves a scenario's `auto` values into the model's options, per arch. */
import { archProfile } from '../mmu/arch/archProfile.js';
import { Level } from '../mmu/level.js';
import { StolenBits } from '../mmu/stolenBits.js';
import type { VmOptions } from '../mmu/vm.js';
import type { Scenario } from './scenario.js';

/** x86-tdx's shared bit when `--stolen-bits auto` (TDX with 4-level EPT). */
export const TDX_DEFAULT_SHARED_BIT = 47;

/** First GPA a 4-level stage-2 cannot translate (48 bits). */
export const FOUR_LEVEL_LIMIT_GPA = 2 ** 48;

/**
 * The model's options for `scenario`. `addressEndGpa` is the end of the
 * highest range the run can touch: beyond 48 bits the table gets a fifth level.
 */
export function vmOptionsFor(scenario: Scenario, addressEndGpa = 0): VmOptions {
  const profile = archProfile(scenario.arch);
  const stolen =
    scenario.stolenBits === 'auto' ? (scenario.arch === 'x86-tdx' ? [TDX_DEFAULT_SHARED_BIT] : []) : scenario.stolenBits;
  return {
    maxLevel: scenario.maxLevel,
    profile,
    nxHugePages: scenario.nxHugePages && profile.family === 'x86',
    eagerSplit: profile.canSplit && (scenario.eagerSplit === 'auto' ? profile.eagerSplitDefault : scenario.eagerSplit === 'on'),
    dirtyLogOff: scenario.dirtyLogOff === 'auto' ? (profile.family === 'x86' ? 'recover' : 'keep') : scenario.dirtyLogOff,
    stolen: new StolenBits(stolen),
    fwb: scenario.fwb,
    rootLevel: addressEndGpa > FOUR_LEVEL_LIMIT_GPA ? Level.L256T : Level.L512G,
  };
}
