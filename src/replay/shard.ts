/**
 * Sharding the matrix over machines (`run --shard I/N`, like vitest's and
 * Playwright's `--shard`): cell k of the (trace, scenario) order belongs to
 * shard `k mod N + 1`. Deterministic, and every shard gets a spread of traces
 * and scenarios rather than one contiguous block.
 */
import { InputError } from '../errors.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Parse `I/N` with 1 <= I <= N <= 1024. */
export function parseShard(text: string): Shard {
  const match = /^([0-9]+)\/([0-9]+)$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || count > 1024 || index < 1 || index > count) {
    throw new InputError(`--shard: "${text}" is not I/N with 1 <= I <= N <= 1024 (e.g. 2/4)`);
  }
  return { index, count };
}

/** True when cell `position` (0-based, in matrix order) belongs to `shard`. */
export function inShard(position: number, shard: Shard | undefined): boolean {
  return shard === undefined || position % shard.count === shard.index - 1;
}
