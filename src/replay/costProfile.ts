/**
 * The cost profile: nanoseconds per stage-2 event, the prices
 * `estimateCosts` puts on a cell's counters. Keys, their meaning and the
 * built-in default (measured on this project's host by `mmubench calibrate`)
 * are documented in docs/report-format.md ("Cost profile"). Checked once at
 * the boundary: `parseCostProfile` names every bad key or value.
 */
import { InputError } from '../errors.js';

/** Every key of a profile, in documentation order; values are ns per event. */
export const COST_KEYS = [
  'fault_missing_4k',
  'fault_missing_2m',
  'fault_missing_1g',
  'fault_permission',
  'fault_spurious',
  'fault_mmio',
  'prefault_4k',
  'prefault_2m',
  'prefault_1g',
  'walk_ref',
  'tlb_miss',
  'flush_range',
  'flush_full',
  'flush_ipi',
  'hypercall',
  'eager_split',
] as const;
export type CostKey = (typeof COST_KEYS)[number];

/** ns per event, by key. */
export type CostProfile = Record<CostKey, number>;

/** A profile and where it came from (run.json `costs`). */
export interface CostSource {
  /** `built-in` or the `--costs` path. */
  source: string;
  /** The host the numbers were measured on, when the file says. */
  host?: string;
  profile: CostProfile;
}

/**
 * The built-in profile: the `costs` of docs/calibration-project-host.json,
 * written by `mmubench calibrate --runs 7` on the project's host (Debian 12,
 * Linux 6.18.44, AMD EPYC, KVM with shadow paging under kvm_pvm, THP
 * madvise, 2026-12-02): medians of 7 runs. docs/validation.md has the spread
 * and the rule that gives each key not measured directly;
 * test/costs-profile.test.ts keeps the two equal.
 */
export const DEFAULT_COSTS: CostSource = {
  source: 'built-in',
  host: 'project host: Linux 6.18.44, AMD EPYC, KVM shadow paging (kvm_pvm, no TDP); mmubench calibrate --runs 7, 2026-12-02 (docs/calibration-project-host.json)',
  profile: {
    fault_missing_4k: 4527.5,
    fault_missing_2m: 5077.4,
    fault_missing_1g: 5077.4,
    fault_permission: 4109.7,
    fault_spurious: 4109.7,
    fault_mmio: 18848,
    prefault_4k: 4527.5,
    prefault_2m: 5077.4,
    prefault_1g: 5077.4,
    walk_ref: 2.4,
    tlb_miss: 0,
    flush_range: 4109.7,
    flush_full: 4109.7,
    flush_ipi: 4109.7,
    hypercall: 4109.7,
    eager_split: 5077.4,
  },
};

/**
 * Read a profile file: `{"costs": {KEY: ns, ...}, "host"?: "...", ...}`
 * (what `mmubench calibrate` writes; other top-level fields are ignored). A
 * key the file leaves out keeps its built-in value. Every unknown key and
 * every value that is not a finite number >= 0 is reported, one line each,
 * in one `InputError`.
 */
export function parseCostProfile(text: string, path: string): CostSource {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: not JSON: ${(error as Error).message}`);
  }
  const object = parsed as { costs?: unknown; host?: unknown };
  if (
    typeof object !== 'object' ||
    object === null ||
    Array.isArray(object) ||
    typeof object.costs !== 'object' ||
    object.costs === null ||
    Array.isArray(object.costs)
  ) {
    throw new InputError(`${path}: expected {"costs": {"fault_missing_4k": NS, ...}} (keys: ${COST_KEYS.join(', ')})`);
  }
  const problems: string[] = [];
  const profile: CostProfile = { ...DEFAULT_COSTS.profile };
  for (const [key, value] of Object.entries(object.costs as Record<string, unknown>)) {
    if (!(COST_KEYS as readonly string[]).includes(key)) {
      problems.push(`${path}: costs.${key}: unknown key (keys: ${COST_KEYS.join(', ')})`);
    } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      problems.push(`${path}: costs.${key}: ${JSON.stringify(value)} is not a number of ns >= 0`);
    } else {
      profile[key as CostKey] = value;
    }
  }
  if (problems.length > 0) throw new InputError(problems.join('\n'));
  return { source: path, ...(typeof object.host === 'string' ? { host: object.host } : {}), profile };
}
