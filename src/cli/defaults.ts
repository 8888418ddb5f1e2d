/** Every default of the command line, in one place (README documents them). */
export const DEFAULTS = {
  arch: 'x86-tdp',
  maxLevel: '1g',
  /** THP backs anonymous memory with 2 MiB pages. */
  backing: '2m',
  /** Every run answers "with and without pre-population". */
  prefault: 'none,all',
  /** Skylake's second-level TLB: 1536 entries, 12 ways. */
  tlbEntries: '1536',
  tlbWays: '12',
  /** The default memslot is the touched range rounded up to this. */
  defaultSlotAlignBytes: 1 << 30,
  nightlyConfig: 'bench/nightly.json',
  reportsDir: 'reports',
} as const;
