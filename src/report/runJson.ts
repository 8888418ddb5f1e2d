/**
 * run.json: everything about a run, machine-readable, for later comparison.
 * Pure: the run model in, text out.
 */
import type { CellOutcome } from './results.js';

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
  /** Set when this run is one shard of the matrix (`--shard I/N`). */
  shard?: { index: number; count: number };
}

export interface RunModel {
  info: RunInfo;
  outcomes: CellOutcome[];
}

export function runToJson(run: RunModel): string {
  return JSON.stringify(
    {
      ...run.info,
      cells: run.outcomes.map((outcome) =>
        outcome.ok
          ? { ok: true, ...outcome.result }
          : { ok: false, trace: outcome.trace, scenario: outcome.scenario, error: outcome.error },
      ),
    },
    null,
    2,
  ) + '\n';
}
