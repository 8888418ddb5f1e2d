/**
 * `--costs FILE` of run and nightly: the cost profile read and checked once,
 * before any replay (src/replay/costProfile.ts has the format); without the
 * flag, the built-in profile.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { DEFAULT_COSTS, parseCostProfile, type CostSource } from '../replay/costProfile.js';

export async function loadCostProfile(path: string | undefined): Promise<CostSource> {
  if (path === undefined) return DEFAULT_COSTS;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(`--costs: ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return parseCostProfile(text, path);
}
