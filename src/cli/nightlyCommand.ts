/**
 * `mmubench nightly`: the job `npm run nightly` runs. Reads the matrix from
 * bench/nightly.json, replays every trace in its trace folder and writes
 * `reports/<timestamp>/`.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from './errors.js';
import { DEFAULTS } from './defaults.js';
import { runCommand } from './runCommand.js';
import type { RawMatrixOptions } from './runOptions.js';

/** bench/nightly.json: which traces, which matrix (each value a comma list, as on the command line). */
export interface NightlyConfig {
  traceDir: string;
  matrix: RawMatrixOptions;
}

export interface NightlyCommandOptions {
  config?: string;
  reports?: string;
  threads?: string;
  quiet?: boolean;
}

const MATRIX_KEYS = ['arch', 'maxLevel', 'backing', 'prefault', 'tlbEntries', 'tlbWays', 'memslot'];

export async function loadNightlyConfig(path: string): Promise<NightlyConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path}: ${(error as Error).message}`);
  }
  const config = parsed as Partial<NightlyConfig>;
  if (typeof config !== 'object' || config === null || typeof config.traceDir !== 'string') {
    throw new InputError(`${path}: expected {"traceDir": "...", "matrix": {...}}`);
  }
  const matrix = config.matrix ?? {};
  for (const key of Object.keys(matrix)) {
    if (!MATRIX_KEYS.includes(key)) throw new InputError(`${path}: matrix.${key} is not one of ${MATRIX_KEYS.join(', ')}`);
  }
  return { traceDir: config.traceDir, matrix };
}

/** `2026-11-23T10-15-00Z`: sortable and safe in a file name. */
export function reportStamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export async function nightlyCommand(options: NightlyCommandOptions): Promise<number> {
  const configPath = options.config ?? DEFAULTS.nightlyConfig;
  const config = await loadNightlyConfig(configPath);
  let files: string[];
  try {
    files = (await readdir(config.traceDir)).filter((f) => f.endsWith('.csv')).sort();
  } catch (error) {
    throw new InputError(`${configPath}: traceDir ${config.traceDir}: ${(error as Error).message}`);
  }
  if (files.length === 0) throw new InputError(`${configPath}: no .csv traces in ${config.traceDir}`);
  const out = join(options.reports ?? DEFAULTS.reportsDir, reportStamp(new Date()));
  return runCommand(
    files.map((f) => join(config.traceDir, f)),
    { ...config.matrix, out, threads: options.threads, quiet: options.quiet },
  );
}
