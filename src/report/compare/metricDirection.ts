/**
 * Which way is better, for every counter: the single table compare uses to
 * call a change a regression or an improvement. Rules are matched by name,
 * first match wins, so counters the engine adds later get a direction by
 * their name (`faults_*`, `flush*`), or none: neutral counters are reported
 * when they change but never fail a run.
 */

/** Which way a counter is better; `neutral` counters never regress. */
export type Direction = 'lower' | 'higher' | 'neutral';

/** Counters whose name matches `pattern` are better in `direction`. */
export interface DirectionRule {
  pattern: RegExp;
  direction: Direction;
  /** Why, for docs/comparing.md. */
  why: string;
}

/** The rules, first match wins (documented in docs/comparing.md). */
export const DIRECTION_RULES: readonly DirectionRule[] = [
  { pattern: /^faults(_|$)/, direction: 'lower', why: 'every guest fault is an exit to the host' },
  {
    pattern: /^est_.*_ns$/,
    direction: 'lower',
    why: 'estimated stage-2 time: counts priced by the cost profile, as deterministic as the counts (compared as counts, not timings)',
  },
  { pattern: /^(tlb_misses|l1_misses|l2_misses|refill_misses)$/, direction: 'lower', why: 'each miss costs a walk or a refill' },
  { pattern: /^walk_refs$/, direction: 'lower', why: 'memory references of page walks' },
  { pattern: /^(flush|tlb_flushes|tlb_entries_flushed)/, direction: 'lower', why: 'flushes and the entries they drop cost refills' },
  { pattern: /^(mmu_pages|pkvm_memcache_pages)$/, direction: 'lower', why: 'page-table memory (pKVM: pages donated to EL2 for it)' },
  { pattern: /^prefault_pages_unused$/, direction: 'lower', why: 'memory pre-fault mapped that the guest never touched' },
  { pattern: /^(prefault_errors|ioctl_errors|hypercalls|nx_lpage_splits)$/, direction: 'lower', why: 'failed ioctls, EL2 round trips, forced splits' },
  {
    pattern: /^at_(slow|pan_checks|walk_reads|faults)$/,
    direction: 'lower',
    why: 'AT emulation work: software walks, extra EL0 translations, guest reads, their faults',
  },
  { pattern: /^tlb_hits$/, direction: 'higher', why: 'translations served without a walk' },
  { pattern: /^at_fast$/, direction: 'higher', why: 'ATs answered by the hardware AT' },
  { pattern: /^pages_(2m|1g)$/, direction: 'higher', why: 'huge-page coverage' },
];

/** The direction of counter `name` (`neutral` when no rule matches). */
export function metricDirection(name: string): Direction {
  return DIRECTION_RULES.find((rule) => rule.pattern.test(name))?.direction ?? 'neutral';
}
