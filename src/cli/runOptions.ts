/**
 * Validation of `run`'s matrix flags, once, at the boundary: raw strings in,
 * a list of scenarios out, or an `InputError` naming the flag and the value.
 */
import { InputError } from './errors.js';
import { DEFAULTS } from './defaults.js';
import { Level, parseLevelName } from '../mmu/level.js';
import { parseAddress } from '../trace/fieldParsers.js';
import { ARCHES, scenarioName, type Arch, type MemslotSpec, type PrefaultSpec, type Scenario } from '../replay/scenario.js';

/** The matrix flags as commander hands them over (comma lists). */
export interface RawMatrixOptions {
  arch?: string;
  maxLevel?: string;
  backing?: string;
  prefault?: string;
  tlbEntries?: string;
  tlbWays?: string;
  memslot?: string[];
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
    return slot;
  });
  slots.forEach((a, i) =>
    slots.slice(i + 1).forEach((b) => {
      if (a.gpa < b.gpa + b.sizeBytes && b.gpa < a.gpa + a.sizeBytes) {
        throw new InputError(`--memslot: "${values[i]}" overlaps another --memslot`);
      }
    }),
  );
  return slots;
}

/** The cross product of the matrix flags, in a fixed order. */
export function parseMatrix(raw: RawMatrixOptions): Scenario[] {
  const arches = list('--arch', raw.arch ?? DEFAULTS.arch).map((item) => {
    if (!(ARCHES as readonly string[]).includes(item)) throw new InputError(`--arch: "${item}" is not one of ${ARCHES.join(', ')}`);
    return item as Arch;
  });
  const maxLevels = parseLevels('--max-level', raw.maxLevel ?? DEFAULTS.maxLevel);
  const backings = parseLevels('--backing', raw.backing ?? DEFAULTS.backing);
  const prefaults = parsePrefault(raw.prefault ?? DEFAULTS.prefault);
  const entries = parsePositiveInts('--tlb-entries', raw.tlbEntries ?? DEFAULTS.tlbEntries, 1 << 20);
  const ways = parsePositiveInts('--tlb-ways', raw.tlbWays ?? DEFAULTS.tlbWays, 1 << 20);
  const scenarios: Scenario[] = [];
  for (const arch of arches)
    for (const maxLevel of maxLevels)
      for (const backing of backings)
        for (const prefault of prefaults)
          for (const tlbEntries of entries)
            for (const tlbWays of ways) {
              if (tlbWays > tlbEntries || tlbEntries % tlbWays !== 0) {
                throw new InputError(`--tlb-ways: ${tlbWays} ways do not divide ${tlbEntries} entries into whole sets`);
              }
              const partial = { arch, maxLevel, backing, prefault, tlbEntries, tlbWays };
              scenarios.push({ ...partial, name: scenarioName(partial) });
            }
  return scenarios;
}
