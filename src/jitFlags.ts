/**
 * V8's inlining budget for the replay's hot paths, set once at start-up by
 * the command (src/cli/main.ts) and the benchmarks (bench/run.ts).
 *
 * Why: TurboFan inlines callees into an optimized function until their
 * bytecode adds up to `--max-inlined-bytecode-size-cumulative` (920 bytes by
 * default). A TLB miss that faults runs `VcpuAccessPath.lookupAll` ->
 * `Vm.translate` -> `Vm.fault` -> `PageTable.map` -> the leaf listener and
 * the TLB fill, more bytecode than that: with the default, those are
 * compiled as separate calls, and the fault-heavy replay bench ran 25-40%
 * slower than with three times the budget (x86-tdp 3.55 -> 4.93 M faults/s;
 * hit-heavy replay unchanged within noise). The flags are process-wide, so
 * worker threads started afterwards compile under the same budget. The
 * counters do not depend on it: only how fast the same code runs.
 *
 * A budget the user gave node (`node --max-inlined-bytecode-size-cumulative=N`,
 * or in NODE_OPTIONS) is left as it is.
 */
import { setFlagsFromString } from 'node:v8';

const BUDGET_FLAG = '--max-inlined-bytecode-size-cumulative';
/** Three times V8's default (920): past where the fault-heavy replay stopped gaining (1380: +25%, 1840: +30%, 2760 and 4600: +30-40%, one run each). */
export const INLINE_BUDGET_BYTES = 2760;

/** The flags to set, given node's own command-line flags and NODE_OPTIONS: none when either names the budget already. */
export function jitFlagsFor(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)]
    .map((arg) => arg.replaceAll('_', '-')) // V8 reads --max_inlined_... as the same flag
    .some((arg) => arg === BUDGET_FLAG || arg.startsWith(`${BUDGET_FLAG}=`));
  return given ? [] : [`${BUDGET_FLAG}=${INLINE_BUDGET_BYTES}`];
}

/** Set the replay's V8 flags for this process (before its hot code is first optimized). */
export function tuneJit(): void {
  for (const flag of jitFlagsFor(process.execArgv, process.env.NODE_OPTIONS)) setFlagsFromString(flag);
}
