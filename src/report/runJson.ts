/**
 * run.json: everything about a run, machine-readable, for later comparison.
 * Pure: the run model in, text out.
 */
import type { BenchmarkSamples, CellOutcome } from '../replay/results.js';
import type { CostSource } from '../replay/costProfile.js';

/** What a run was, besides its results. */
export interface RunInfo {
  tool: 'mmubench';
  version: string;
  /** The command line, as argv after `node`. */
  command: string[];
  node: string;
  startedAt: string;
  durationMs: number;
  threads: number;
  traces: { path: string; name: string; events: number; vcpus: number }[];
  /** Scenario names in matrix order (cells run in trace x scenario order). */
  scenarios: string[];
  /** The cost profile the estimates (`est_*`) were priced with: `source` (`built-in` or the `--costs` path), `host`, `profile` (ns per event). */
  costs?: CostSource;
  /** Set when this run is one shard of the matrix (`--shard I/N`). */
  shard?: { index: number; count: number };
  /** True when Ctrl-C stopped the run and `--keep-partial` kept the cells finished. */
  partial?: boolean;
  /** `per-vcpu` for `--threads per-vcpu` (docs/per-vcpu-threads.md); absent for the default matrix mode. */
  threadMode?: 'per-vcpu';
  /** Set with `threadMode`: false when some cell ran more than one vCPU worker, so timing-dependent counts may vary between runs. */
  deterministic?: boolean;
}

/** A run: what it was, its cells in cell order, and (nightly only) the benchmark samples. */
export interface RunModel {
  info: RunInfo;
  outcomes: CellOutcome[];
  /** tinybench samples (`mmubench nightly`); absent for `run`. */
  benchmarks?: BenchmarkSamples[];
}

/** run.json text: the info fields, `cells`, then `benchmarks` when the run has them. */
export function runToJson(run: RunModel): string {
  return (
    JSON.stringify(
      {
        ...run.info,
        cells: run.outcomes.map((outcome) =>
          outcome.ok ? { ok: true, ...outcome.result } : { ok: false, trace: outcome.trace, scenario: outcome.scenario, error: outcome.error },
        ),
        ...(run.benchmarks === undefined ? {} : { benchmarks: run.benchmarks }),
      },
      null,
      2,
    ) + '\n'
  );
}
