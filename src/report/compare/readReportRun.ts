/**
 * Read a report folder's run.json back into the run model, for `compare`
 * and for nightly's baseline. Everything a comparison relies on is checked
 * here, once, so a missing or malformed file is a clear exit-2 error naming
 * the file, never a crash later.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import type { RunInfo, RunModel } from '../runJson.js';
import type { BenchmarkSamples, CellOutcome, CellResult } from '../../replay/results.js';

/** The file `compare` reads in a report folder. */
export const RUN_JSON = 'run.json';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumberRecord = (value: unknown): boolean => isObject(value) && Object.values(value).every((v) => typeof v === 'number');

/** Why a stored cell is unusable, or `undefined` when it is fine. */
function cellProblem(cell: unknown): string | undefined {
  if (!isObject(cell)) return 'not an object';
  if (typeof cell.trace !== 'string') return 'no trace name';
  if (!isObject(cell.scenario) || typeof cell.scenario.name !== 'string') return 'no scenario name';
  if (cell.ok === true) {
    if (!isNumberRecord(cell.total)) return 'ok, but "total" is not a table of counters';
    if (!isNumberRecord(cell.vm)) return 'ok, but "vm" is not a table of counters';
    return undefined;
  }
  if (cell.ok === false) return isObject(cell.error) && typeof cell.error.message === 'string' ? undefined : 'failed, but without an error message';
  return '"ok" is neither true nor false';
}

/** Why a stored benchmark task is unusable, or `undefined` when it is fine. */
function benchmarkProblem(bench: unknown): string | undefined {
  if (!isObject(bench) || typeof bench.name !== 'string') return 'no task name';
  if (typeof bench.accessesPerIteration !== 'number') return `${bench.name}: no accessesPerIteration`;
  if (!Array.isArray(bench.samplesMs) || bench.samplesMs.length === 0 || !bench.samplesMs.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return `${bench.name}: samplesMs is not a non-empty list of finite numbers`;
  }
  return undefined;
}

/**
 * Parse run.json text (`path` names it in errors).
 * @throws InputError `path: ...` when it is not JSON or not an mmubench run.
 */
export function parseRunJson(text: string, path: string): RunModel {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: not JSON (${(error as Error).message})`);
  }
  if (!isObject(json) || json.tool !== 'mmubench' || !Array.isArray(json.cells)) {
    throw new InputError(`${path}: not an mmubench run.json (needs "tool": "mmubench" and "cells")`);
  }
  json.cells.forEach((cell, index) => {
    const problem = cellProblem(cell);
    if (problem !== undefined) throw new InputError(`${path}: cells[${index}]: ${problem}`);
  });
  if (json.benchmarks !== undefined) {
    if (!Array.isArray(json.benchmarks)) throw new InputError(`${path}: "benchmarks" is not a list`);
    json.benchmarks.forEach((bench, index) => {
      const problem = benchmarkProblem(bench);
      if (problem !== undefined) throw new InputError(`${path}: benchmarks[${index}]: ${problem}`);
    });
  }
  const { cells, benchmarks, ...info } = json as unknown as RunInfo & { cells: Record<string, unknown>[]; benchmarks?: BenchmarkSamples[] };
  const outcomes = cells.map((cell): CellOutcome => {
    const { ok, ...rest } = cell;
    if (ok === true) return { ok: true, result: rest as unknown as CellResult };
    const failed = rest as unknown as Extract<CellOutcome, { ok: false }>;
    return { ok: false, trace: failed.trace, scenario: failed.scenario, error: failed.error };
  });
  return { info, outcomes, ...(benchmarks === undefined ? {} : { benchmarks }) };
}

/**
 * Read `dir/run.json`.
 * @throws InputError naming the file when it is missing, unreadable or malformed.
 */
export async function readReportRun(dir: string): Promise<RunModel> {
  const path = join(dir, RUN_JSON);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${path}: no such file (is ${dir} a report folder?)`);
    throw new InputError(`${path}: ${(error as Error).message}`);
  }
  return parseRunJson(text, path);
}
