/**
 * TLB geometries (`--tlb`). Each array lists the page sizes it holds; a
 * fully associative array has `ways === entries`. Sources are given per
 * preset; where a vendor publishes less than we model, the choice is said.
 */
import { Level } from '../mmu/level.js';

export interface TlbArraySpec {
  entries: number;
  ways: number;
  levels: Level[];
}

export interface TlbGeometry {
  name: string;
  /** First-level data TLB arrays. */
  l1d: TlbArraySpec[];
  /** First-level instruction TLB arrays; `shared` means the data arrays serve fetches too. */
  l1i: TlbArraySpec[] | 'shared';
  /** Second-level (unified) arrays; empty for a single-level TLB. */
  l2: TlbArraySpec[];
  source: string;
}

const K = Level.L4K;
const M = Level.L2M;
const G = Level.L1G;

export const TLB_PRESET_NAMES = ['simple', 'skylake', 'icelake', 'neoverse-n1'] as const;
export type TlbPresetName = (typeof TLB_PRESET_NAMES)[number];

/** The foundation's single-level TLB: one array for every page size and for fetches. */
export function simpleGeometry(entries: number, ways: number): TlbGeometry {
  return { name: 'simple', l1d: [{ entries, ways, levels: [K, M, G] }], l1i: 'shared', l2: [], source: '--tlb-entries/--tlb-ways' };
}

/** The named presets. */
export const TLB_PRESETS: Record<Exclude<TlbPresetName, 'simple'>, TlbGeometry> = {
  skylake: {
    name: 'skylake',
    l1d: [
      { entries: 64, ways: 4, levels: [K] },
      { entries: 32, ways: 4, levels: [M] },
      { entries: 4, ways: 4, levels: [G] },
    ],
    l1i: [
      { entries: 128, ways: 8, levels: [K] },
      { entries: 8, ways: 8, levels: [M] },
    ],
    l2: [
      { entries: 1536, ways: 12, levels: [K, M] },
      { entries: 16, ways: 4, levels: [G] },
    ],
    source: 'Intel 64 and IA-32 Architectures Optimization Reference Manual, Skylake client microarchitecture, TLB parameters table',
  },
  icelake: {
    name: 'icelake',
    l1d: [
      { entries: 64, ways: 4, levels: [K] },
      { entries: 32, ways: 4, levels: [M] },
      { entries: 8, ways: 8, levels: [G] },
    ],
    l1i: [
      { entries: 128, ways: 8, levels: [K] },
      { entries: 16, ways: 16, levels: [M] },
    ],
    l2: [
      { entries: 2048, ways: 16, levels: [K, M] },
      { entries: 1024, ways: 8, levels: [G] },
    ],
    source: 'Intel Optimization Reference Manual, Ice Lake client (Sunny Cove) TLB parameters; 1G STLB associativity not published: 8 ways assumed',
  },
  'neoverse-n1': {
    name: 'neoverse-n1',
    l1d: [{ entries: 48, ways: 48, levels: [K, M, G] }],
    l1i: [{ entries: 48, ways: 48, levels: [K, M, G] }],
    l2: [{ entries: 1280, ways: 5, levels: [K, M, G] }],
    source: 'Arm Neoverse N1 Core Technical Reference Manual, L1 instruction/data TLB (48 entries, fully associative) and L2 unified TLB (1280 entries, 5-way)',
  },
};
