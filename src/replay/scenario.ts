/**
 * A scenario: one combination of the matrix flags. Plain data, so it crosses
 * to replay workers by structured clone.
 */
import { type Level, levelName } from '../mmu/level.js';
import type { Arch } from '../mmu/arch/archProfile.js';
import type { PrefaultMode, PrefaultPolicy } from '../mmu/preFault.js';
import { prefaultFlagsText, type PrefaultFlags } from '../mmu/preFaultFlags.js';
import type { CowPfnmapKind, DirtyLogOffPolicy, PrivateHugeKind, SlotZapKind } from '../mmu/vmOptions.js';
import type { PfnmapKind } from '../mmu/memslots.js';
import type { TlbPresetName } from '../tlb/tlbPresets.js';
import type { AliasFlushKind, FlushMode, RangeFlushKind } from '../tlb/flushPolicy.js';

export { ARCHES, type Arch } from '../mmu/arch/archProfile.js';

/** A GPA range to pre-fault, in bytes. */
export interface PrefaultRange {
  gpa: number;
  sizeBytes: number;
}

/** `none`, `all` memslots, or explicit ranges, all issued on vCPU 0 before replay. */
export type PrefaultSpec = { kind: 'none' } | { kind: 'all' } | { kind: 'ranges'; ranges: PrefaultRange[]; text: string };

/** `auto` follows the arch's KVM default. */
export type OnOffAuto = 'auto' | 'on' | 'off';

export interface Scenario {
  /** Stable display name, unique within a run (see `scenarioName`). */
  name: string;
  arch: Arch;
  maxLevel: Level;
  /** Host page size behind memslots that do not set their own. */
  backing: Level;
  prefault: PrefaultSpec;
  prefaultPolicy: PrefaultPolicy;
  tlbEntries: number;
  tlbWays: number;
  /** x86 only (false elsewhere). */
  nxHugePages: boolean;
  eagerSplit: OnOffAuto;
  dirtyLogOff: DirtyLogOffPolicy;
  /** GPA bit numbers; `auto` = bit 47 for x86-tdx, none elsewhere. x86 only. */
  stolenBits: number[] | 'auto';
  /** arm64 stage-2 FWB (true, not applicable, on x86). */
  fwb: boolean;
  /** TLB geometry: `simple` uses `tlbEntries`/`tlbWays`. */
  tlb: TlbPresetName;
  /** Paging-structure caches for stage-2 walks. */
  pwc: boolean;
  flushMode: FlushMode;
  /** x86 only ('none' elsewhere). */
  rangeFlush: RangeFlushKind;
  /** arm64 FEAT_TLBIRANGE (true, not applicable, on x86). */
  tlbiRange: boolean;
  /** Stolen-bit flushes: seed 001 range + alias, or upstream TDX full. */
  aliasFlush: AliasFlushKind;
  /** Guest stage-1 levels walked over stage-2 on each TLB miss (0: none). */
  guestLevels: number;
  /** Memslot delete/move: KVM_X86_QUIRK_SLOT_ZAP_ALL on (`all`) or off (`slot`); `all` off x86-tdp, where it does not apply. */
  slotZap: SlotZapKind;
  /** guest_memfd huge pages: `off` (upstream, private memory maps 4K) or `on` (the slot's level); `off` where it does not apply (not x86-tdp). */
  privateHuge: PrivateHugeKind;
  /** arm64 CTR_EL0.DIC (true, not applicable, on x86). */
  dic: boolean;
  /** Pre-fault access flags: `auto` (merged KVM: none) or the KVM_MAP_MEMORY RFC's (seed 002); `auto` off x86. */
  prefaultFlags: PrefaultFlags;
  /** arm64 copy-on-write VM_PFNMAP memslots: `allow` (upstream) or `refuse` (seed 004 v3); `allow` on x86. */
  cowPfnmap: CowPfnmapKind;
  /** arm64 hardware Access Flag updates (`--hw-af`); true on x86 (EPT A/D bits). */
  hwAf: boolean;
}

/** A memslot of the layout (`--memslot GPA:SIZE` or `--vm FILE`). */
export interface MemslotSpec {
  /** Slot id; defaults to the slot's position in the layout. */
  id?: number;
  gpa: number;
  sizeBytes: number;
  /** Host page size behind this slot; the scenario's `--backing` when absent. */
  backing?: Level;
  /** Host virtual address minus GPA, in bytes (a multiple of 4 KiB); 0 when absent. */
  hvaOffsetBytes?: number;
  readOnly?: boolean;
  dirtyLogging?: boolean;
  private?: boolean;
  pfnmap?: PfnmapKind;
  /** Where it was declared, for error messages (`--memslot 0x0:0x1000`, `vm.json: memslots[1]`). */
  source: string;
}

/** The prefault spec as written on the command line. */
export function prefaultText(spec: PrefaultSpec): string {
  return spec.kind === 'ranges' ? spec.text : spec.kind;
}

/** `none`, `47`, or `47+51`. */
export function stolenBitsText(bits: number[] | 'auto'): string {
  return bits === 'auto' ? 'auto' : bits.length === 0 ? 'none' : bits.join('+');
}

const onOff = (value: boolean): string => (value ? 'on' : 'off');

/**
 * `x86-tdp max=1g backing=2m prefault=none tlb=1536x12`, then only the later
 * dimensions that differ from their default, so names stay comparable
 * between runs as dimensions are added.
 */
export function scenarioName(s: Omit<Scenario, 'name'>): string {
  const tlb = s.tlb === 'simple' ? `${s.tlbEntries}x${s.tlbWays}` : s.tlb;
  let name = `${s.arch} max=${levelName(s.maxLevel)} backing=${levelName(s.backing)} prefault=${prefaultText(s.prefault)} tlb=${tlb}`;
  if (s.prefaultPolicy !== 'upstream') name += ` prefault-policy=${s.prefaultPolicy}`;
  if (s.nxHugePages) name += ' nx=on';
  if (s.eagerSplit !== 'auto') name += ` eager-split=${s.eagerSplit}`;
  if (s.dirtyLogOff !== 'auto') name += ` dirty-log-off=${s.dirtyLogOff}`;
  if (s.stolenBits !== 'auto') name += ` stolen=${stolenBitsText(s.stolenBits)}`;
  if (!s.fwb) name += ' fwb=off';
  if (s.pwc) name += ' pwc=on';
  if (s.flushMode !== 'auto') name += ` flush=${s.flushMode}`;
  if (s.rangeFlush !== 'none') name += ` range-flush=${s.rangeFlush}`;
  if (!s.tlbiRange) name += ' tlbi-range=off';
  if (s.aliasFlush !== 'full') name += ` alias-flush=${s.aliasFlush}`;
  if (s.guestLevels !== 0) name += ` guest-levels=${s.guestLevels}`;
  if (s.slotZap !== 'all') name += ` slot-zap=${s.slotZap}`;
  if (s.privateHuge !== 'off') name += ` private-huge=${s.privateHuge}`;
  if (!s.dic) name += ' dic=off';
  if (s.prefaultFlags !== 'auto') name += ` prefault-flags=${prefaultFlagsText(s.prefaultFlags)}`;
  if (s.cowPfnmap !== 'allow') name += ` cow-pfnmap=${s.cowPfnmap}`;
  if (!s.hwAf) name += ' hw-af=off';
  return name;
}

/**
 * The scenario's dimensions as report columns, in order (results.csv puts them
 * after `trace,scenario`). New dimensions are appended here, and only here.
 */
export const SCENARIO_COLUMNS = [
  'arch',
  'max_level',
  'backing',
  'prefault',
  'tlb_entries',
  'tlb_ways',
  'prefault_policy',
  'nx_huge_pages',
  'eager_split',
  'dirty_log_off',
  'stolen_bits',
  'fwb',
  'tlb',
  'pwc',
  'flush_mode',
  'range_flush',
  'tlbi_range',
  'alias_flush',
  'guest_levels',
  'slot_zap',
  'private_huge',
  'dic',
  'prefault_flags',
  'cow_pfnmap',
  'hw_af',
] as const;

/** Values of `SCENARIO_COLUMNS` for `s`. */
export function scenarioColumnValues(s: Scenario): (string | number)[] {
  return [
    s.arch,
    levelName(s.maxLevel),
    levelName(s.backing),
    prefaultText(s.prefault),
    s.tlb === 'simple' ? s.tlbEntries : '',
    s.tlb === 'simple' ? s.tlbWays : '',
    s.prefaultPolicy,
    onOff(s.nxHugePages),
    s.eagerSplit,
    s.dirtyLogOff,
    stolenBitsText(s.stolenBits),
    onOff(s.fwb),
    s.tlb,
    onOff(s.pwc),
    s.flushMode,
    s.rangeFlush,
    onOff(s.tlbiRange),
    s.aliasFlush,
    s.guestLevels,
    s.slotZap,
    s.privateHuge,
    onOff(s.dic),
    prefaultFlagsText(s.prefaultFlags),
    s.cowPfnmap,
    onOff(s.hwAf),
  ];
}

/** The cell's pre-fault policy and flags, as the model takes them. */
export function prefaultModeOf(s: Scenario): PrefaultMode {
  return { policy: s.prefaultPolicy, flags: s.prefaultFlags };
}
