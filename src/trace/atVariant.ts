/**
 * The AT instruction variants an `AT` trace row names in its `x_at` column
 * (arm64 `AT S1E*`, stage-1 only; the `S12` forms are not modelled). Values
 * are stable: the binary trace format stores them in the event's `slot`
 * field (an AT row names no memslot).
 */
export enum AtVariant {
  /** EL1&0 regime, privileged read. */
  S1E1R = 0,
  /** EL1&0 regime, privileged write. */
  S1E1W = 1,
  /** Privileged read honouring PSTATE.PAN (FEAT_PAN2). */
  S1E1RP = 2,
  /** Privileged write honouring PSTATE.PAN (FEAT_PAN2). */
  S1E1WP = 3,
  /** EL1&0 regime, unprivileged (EL0) read. */
  S1E0R = 4,
  /** EL1&0 regime, unprivileged (EL0) write. */
  S1E0W = 5,
  /** The guest hypervisor's own EL2 regime, read. */
  S1E2R = 6,
  /** The guest hypervisor's own EL2 regime, write. */
  S1E2W = 7,
}

/** Variant names as written in traces, indexed by `AtVariant`. */
export const AT_VARIANT_NAMES: readonly string[] = ['S1E1R', 'S1E1W', 'S1E1RP', 'S1E1WP', 'S1E0R', 'S1E0W', 'S1E2R', 'S1E2W'];

/** Highest `AtVariant` value. */
export const MAX_AT_VARIANT = AT_VARIANT_NAMES.length - 1;

/** Parse a variant name (case-sensitive, as documented); undefined when unknown. */
export function parseAtVariant(name: string): AtVariant | undefined {
  const index = AT_VARIANT_NAMES.indexOf(name);
  return index < 0 ? undefined : (index as AtVariant);
}
