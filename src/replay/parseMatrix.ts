/**
 * Validation of the matrix flags (`run`, `nightly`, `validate`, the quick
 * benchmark), once, at the boundary: raw strings in, a list of scenarios
 * out, or an `InputError` naming the flag and the value.
 */
import { InputError } from '../errors.js';
import { DEFAULTS } from '../defaults.js';
import { Level, parseLevelName } from '../mmu/level.js';
import { parseAddress } from '../trace/fieldParsers.js';
import { ARCHES, scenarioName, type MemslotSpec, type OnOffAuto, type PrefaultSpec, type Scenario } from './scenario.js';
import { archProfile } from '../mmu/arch/archProfile.js';
import { PREFAULT_POLICIES, type PrefaultPolicy } from '../mmu/preFault.js';
import { parsePrefaultFlags, type PrefaultFlags } from '../mmu/preFaultFlags.js';
import { GUEST_LEVELS } from './guestWalk.js';
import { COW_PFNMAP_KINDS, DIRTY_LOG_OFF_POLICIES, PRIVATE_HUGE_KINDS, SLOT_ZAP_KINDS, type DirtyLogOffPolicy } from '../mmu/vmOptions.js';
import { parseStolenBits } from '../mmu/stolenBits.js';
import { TLB_PRESET_NAMES } from '../tlb/tlbPresets.js';
import { ALIAS_FLUSH_KINDS, FLUSH_MODES, RANGE_FLUSH_KINDS } from '../tlb/flushPolicy.js';

/** The matrix flags as commander hands them over (comma lists). */
export interface RawMatrixOptions {
  arch?: string;
  maxLevel?: string;
  backing?: string;
  prefault?: string;
  tlbEntries?: string;
  tlbWays?: string;
  prefaultPolicy?: string;
  nxHugePages?: string;
  eagerSplit?: string;
  dirtyLogOff?: string;
  stolenBits?: string;
  fwb?: string;
  tlb?: string;
  pwc?: string;
  flushMode?: string;
  rangeFlush?: string;
  tlbiRange?: string;
  aliasFlush?: string;
  guestLevels?: string;
  slotZap?: string;
  privateHuge?: string;
  dic?: string;
  prefaultFlags?: string;
  cowPfnmap?: string;
  hwAf?: string;
  memslot?: string[];
}

/** A comma list whose items must come from `allowed`. */
function parseChoices<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  return list(flag, value).map((item) => {
    if (!(allowed as readonly string[]).includes(item)) throw new InputError(`${flag}: "${item}" is not one of ${allowed.join(', ')}`);
    return item as T;
  });
}

/** Split a comma list, refusing empty items. */
function list(flag: string, value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InputError(`${flag}: "${value}" has an empty item`);
  return [...new Set(items)];
}

function parseLevels(flag: string, value: string): Level[] {
  return list(flag, value).map((item) => {
    const level = parseLevelName(item);
    if (level === undefined) throw new InputError(`${flag}: "${item}" is not one of 4k, 2m, 1g`);
    return level;
  });
}

function parsePositiveInts(flag: string, value: string, max: number): number[] {
  return list(flag, value).map((item) => {
    const n = Number(item);
    if (!/^[0-9]+$/.test(item) || n < 1 || n > max) throw new InputError(`${flag}: "${item}" is not an integer from 1 to ${max}`);
    return n;
  });
}

/** `GPA:SIZE`, both hex or decimal bytes. */
function parseRange(flag: string, item: string): { gpa: number; sizeBytes: number } {
  const parts = item.split(':');
  if (parts.length !== 2) throw new InputError(`${flag}: "${item}" is not GPA:SIZE (e.g. 0x0:0x40000000)`);
  const gpa = parseAddress(parts[0], 'GPA');
  if (typeof gpa === 'string') throw new InputError(`${flag}: ${gpa}`);
  const size = parseAddress(parts[1], 'size');
  if (typeof size === 'string') throw new InputError(`${flag}: ${size}`);
  return { gpa, sizeBytes: size };
}

function parsePrefault(value: string): PrefaultSpec[] {
  return list('--prefault', value).map((item): PrefaultSpec => {
    if (item === 'none' || item === 'all') return { kind: item };
    // Ranges are passed to the model as given: unaligned ones give its EINVAL.
    return { kind: 'ranges', ranges: item.split('+').map((r) => parseRange('--prefault', r)), text: item };
  });
}

/** `--memslot GPA:SIZE` (repeatable): 4 KiB aligned, non-empty, no overlap. */
export function parseMemslots(values: readonly string[]): MemslotSpec[] {
  const slots = values.map((value) => {
    const slot = parseRange('--memslot', value);
    if (slot.gpa % 4096 !== 0 || slot.sizeBytes % 4096 !== 0 || slot.sizeBytes === 0) {
      throw new InputError(`--memslot: "${value}" must start and end on a 4 KiB boundary and be non-empty`);
    }
    if (slot.gpa + slot.sizeBytes > 2 ** 52) throw new InputError(`--memslot: "${value}" ends beyond the 52-bit address limit`);
    return { ...slot, source: `--memslot ${value}` };
  });
  slots.forEach((a, i) => {
    for (const b of slots.slice(i + 1)) {
      if (a.gpa < b.gpa + b.sizeBytes && b.gpa < a.gpa + a.sizeBytes) {
        throw new InputError(`--memslot: "${values[i]}" overlaps another --memslot`);
      }
    }
  });
  return slots;
}

/** Every combination of the given value lists, the first key varying slowest. */
export function crossProduct<T extends Record<string, readonly unknown[]>>(dims: T): { [K in keyof T]: T[K][number] }[] {
  let combos: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(dims)) {
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [key]: value })));
  }
  return combos as { [K in keyof T]: T[K][number] }[];
}

/**
 * The cross product of the matrix flags, in a fixed order. Dimensions that do
 * not apply to an arch (NX huge pages and stolen bits off x86, FWB off arm64,
 * eager split on pKVM, which cannot split, the slot-zap quirk off x86-tdp,
 * pre-fault flags off x86) collapse to their neutral value,
 * and the duplicates this makes are dropped.
 */
export function parseMatrix(raw: RawMatrixOptions): Scenario[] {
  // 1. Each flag's list, validated once, one message per flag.
  const dimensions = parseDimensions(raw);
  // 2. One combination per element of the cross product, in flag order, collapsed per arch.
  const scenarios = new Map<string, Scenario>();
  for (const combo of crossProduct(dimensions)) {
    const partial = collapseForArch(combo);
    const name = scenarioName(partial);
    if (!scenarios.has(name)) scenarios.set(name, { ...partial, name });
  }
  return [...scenarios.values()];
}

/** The value list of every matrix flag (defaults for those not given), keyed by dimension. */
function parseDimensions(raw: RawMatrixOptions) {
  const arches = parseChoices('--arch', raw.arch ?? DEFAULTS.arch, ARCHES);
  const maxLevels = parseLevels('--max-level', raw.maxLevel ?? DEFAULTS.maxLevel);
  const backings = parseLevels('--backing', raw.backing ?? DEFAULTS.backing);
  const prefaults = parsePrefault(raw.prefault ?? DEFAULTS.prefault);
  const policies = parseChoices<PrefaultPolicy>('--prefault-policy', raw.prefaultPolicy ?? DEFAULTS.prefaultPolicy, PREFAULT_POLICIES);
  const entries = parsePositiveInts('--tlb-entries', raw.tlbEntries ?? DEFAULTS.tlbEntries, 1 << 20);
  const ways = parsePositiveInts('--tlb-ways', raw.tlbWays ?? DEFAULTS.tlbWays, 1 << 20);
  const nxs = parseChoices('--nx-huge-pages', raw.nxHugePages ?? DEFAULTS.nxHugePages, ['on', 'off'] as const);
  const eagers = parseChoices<OnOffAuto>('--eager-split', raw.eagerSplit ?? DEFAULTS.eagerSplit, ['auto', 'on', 'off']);
  const logOffs = parseChoices<DirtyLogOffPolicy>('--dirty-log-off', raw.dirtyLogOff ?? DEFAULTS.dirtyLogOff, DIRTY_LOG_OFF_POLICIES);
  const stolens = list('--stolen-bits', raw.stolenBits ?? DEFAULTS.stolenBits).map((item): number[] | 'auto' => {
    if (item === 'auto') return 'auto';
    const bits = parseStolenBits(item);
    if (typeof bits === 'string') throw new InputError(`--stolen-bits: ${bits}`);
    return bits;
  });
  const fwbs = parseChoices('--fwb', raw.fwb ?? DEFAULTS.fwb, ['on', 'off'] as const);
  const tlbs = parseChoices('--tlb', raw.tlb ?? DEFAULTS.tlb, TLB_PRESET_NAMES);
  const pwcs = parseChoices('--pwc', raw.pwc ?? DEFAULTS.pwc, ['on', 'off'] as const);
  const flushModes = parseChoices('--flush-mode', raw.flushMode ?? DEFAULTS.flushMode, FLUSH_MODES);
  const rangeFlushes = parseChoices('--range-flush', raw.rangeFlush ?? DEFAULTS.rangeFlush, RANGE_FLUSH_KINDS);
  const tlbiRanges = parseChoices('--tlbi-range', raw.tlbiRange ?? DEFAULTS.tlbiRange, ['on', 'off'] as const);
  const aliasFlushes = parseChoices('--alias-flush', raw.aliasFlush ?? DEFAULTS.aliasFlush, ALIAS_FLUSH_KINDS);
  const guestLevels = parseChoices('--guest-levels', raw.guestLevels ?? DEFAULTS.guestLevels, GUEST_LEVELS.map(String)).map(Number);
  const slotZaps = parseChoices('--slot-zap', raw.slotZap ?? DEFAULTS.slotZap, SLOT_ZAP_KINDS);
  const dics = parseChoices('--dic', raw.dic ?? DEFAULTS.dic, ['on', 'off'] as const);
  const cowPfnmaps = parseChoices('--cow-pfnmap', raw.cowPfnmap ?? DEFAULTS.cowPfnmap, COW_PFNMAP_KINDS);
  const hwAfs = parseChoices('--hw-af', raw.hwAf ?? DEFAULTS.hwAf, ['on', 'off'] as const);
  const privateHuges = parseChoices('--private-huge', raw.privateHuge ?? DEFAULTS.privateHuge, PRIVATE_HUGE_KINDS);
  const prefaultFlags = list('--prefault-flags', raw.prefaultFlags ?? DEFAULTS.prefaultFlags).map((item): PrefaultFlags => {
    const flags = parsePrefaultFlags(item);
    if (typeof flags === 'object') throw new InputError(`--prefault-flags: ${flags.error}`);
    return flags;
  });
  for (const tlbEntries of entries) {
    for (const tlbWays of ways) {
      if (tlbWays > tlbEntries || tlbEntries % tlbWays !== 0) {
        throw new InputError(`--tlb-ways: ${tlbWays} ways do not divide --tlb-entries ${tlbEntries} into whole sets`);
      }
    }
  }
  return {
    arch: arches,
    maxLevel: maxLevels,
    backing: backings,
    prefault: prefaults,
    prefaultPolicy: policies,
    tlbEntries: entries,
    tlbWays: ways,
    nx: nxs,
    eagerSplit: eagers,
    dirtyLogOff: logOffs,
    stolenBits: stolens,
    fwb: fwbs,
    tlb: tlbs,
    pwc: pwcs,
    flushMode: flushModes,
    rangeFlush: rangeFlushes,
    tlbiRange: tlbiRanges,
    aliasFlush: aliasFlushes,
    guestLevels,
    slotZap: slotZaps,
    privateHuge: privateHuges,
    dic: dics,
    prefaultFlags,
    cowPfnmap: cowPfnmaps,
    hwAf: hwAfs,
  };
}

type Dimensions = ReturnType<typeof parseDimensions>;
/** One element of the cross product: a value of each dimension. */
type Combination = { [K in keyof Dimensions]: Dimensions[K][number] };

/** A combination as a scenario: the dimensions that do not apply to its arch take their neutral value. */
function collapseForArch(combo: Combination): Omit<Scenario, 'name'> {
  const profile = archProfile(combo.arch);
  const x86 = profile.family === 'x86';
  return {
    arch: combo.arch,
    maxLevel: combo.maxLevel,
    backing: combo.backing,
    prefault: combo.prefault,
    prefaultPolicy: combo.prefaultPolicy,
    tlbEntries: combo.tlbEntries,
    tlbWays: combo.tlbWays,
    nxHugePages: x86 && combo.nx === 'on',
    eagerSplit: profile.canSplit ? combo.eagerSplit : 'auto',
    dirtyLogOff: combo.dirtyLogOff,
    stolenBits: x86 ? combo.stolenBits : 'auto',
    fwb: x86 ? true : combo.fwb === 'on',
    tlb: combo.tlb,
    pwc: combo.pwc === 'on',
    flushMode: combo.flushMode,
    rangeFlush: x86 ? combo.rangeFlush : 'none',
    tlbiRange: x86 ? true : combo.tlbiRange === 'on',
    aliasFlush: combo.aliasFlush,
    guestLevels: combo.guestLevels,
    // The quirk matters only where the VM type is the default one (x86-tdp).
    slotZap: profile.slotZapAllWithQuirk ? combo.slotZap : 'all',
    // Private memory exists on x86 only, and TDX's S-EPT maps it 4K anyway.
    privateHuge: x86 && profile.maxPrivateLevel > Level.L4K ? combo.privateHuge : 'off',
    dic: x86 ? true : combo.dic === 'on',
    // KVM_MAP_MEMORY's flags are the x86 RFC's (kvm_arch_vcpu_map_memory in x86.c).
    prefaultFlags: x86 ? combo.prefaultFlags : 'auto',
    // PFNMAP kinds are an arm64 model: x86 refuses them all anyway.
    cowPfnmap: x86 ? 'allow' : combo.cowPfnmap,
    // x86 is modelled with EPT A/D bits (the walk sets Accessed): always on.
    hwAf: x86 ? true : combo.hwAf === 'on',
  };
}
