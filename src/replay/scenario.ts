/**
 * A scenario: one combination of the matrix flags. Plain data, so it crosses
 * to replay workers by structured clone.
 */
import { Level, levelName } from '../mmu/level.js';

/** Architecture profiles; the foundation models `x86-tdp`. */
export const ARCHES = ['x86-tdp'] as const;
export type Arch = (typeof ARCHES)[number];

/** A GPA range to pre-fault, in bytes. */
export interface PrefaultRange {
  gpa: number;
  sizeBytes: number;
}

/** `none`, `all` memslots, or explicit ranges, all issued on vCPU 0 before replay. */
export type PrefaultSpec = { kind: 'none' } | { kind: 'all' } | { kind: 'ranges'; ranges: PrefaultRange[]; text: string };

export interface Scenario {
  /** Stable display name, unique within a run (see `scenarioName`). */
  name: string;
  arch: Arch;
  maxLevel: Level;
  backing: Level;
  prefault: PrefaultSpec;
  tlbEntries: number;
  tlbWays: number;
}

/** A memslot given on the command line (`--memslot GPA:SIZE`). */
export interface MemslotSpec {
  gpa: number;
  sizeBytes: number;
}

/** The prefault spec as written on the command line. */
export function prefaultText(spec: PrefaultSpec): string {
  return spec.kind === 'ranges' ? spec.text : spec.kind;
}

/**
 * `x86-tdp max=1g backing=2m prefault=none tlb=1536x12`: every dimension, in
 * a fixed order, so names stay comparable between runs.
 */
export function scenarioName(s: Omit<Scenario, 'name'>): string {
  return `${s.arch} max=${levelName(s.maxLevel)} backing=${levelName(s.backing)} prefault=${prefaultText(s.prefault)} tlb=${s.tlbEntries}x${s.tlbWays}`;
}

/**
 * The scenario's dimensions as report columns, in order (results.csv puts them
 * after `trace,scenario`). New dimensions are appended here, and only here.
 */
export const SCENARIO_COLUMNS = ['arch', 'max_level', 'backing', 'prefault', 'tlb_entries', 'tlb_ways'] as const;

/** Values of `SCENARIO_COLUMNS` for `s`. */
export function scenarioColumnValues(s: Scenario): (string | number)[] {
  return [s.arch, levelName(s.maxLevel), levelName(s.backing), prefaultText(s.prefault), s.tlbEntries, s.tlbWays];
}
