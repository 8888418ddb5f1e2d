/**
 * A run holds a trace that fits `--trace-memory` in memory: the checking
 * pass decodes it once and every cell replays those shared events, instead
 * of decoding the file again per cell; results.csv is byte-identical to the
 * streamed run (`--trace-memory 0`), for a CSV and an `.mtr` trace.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runReport } from '../src/cli/runCommand.js';
import { countDecodedEvents, type DecodeCounter } from './helpers/decodeCounter.js';
import { REPO_ROOT, runCli, tempDir } from './helpers/runCli.js';

/** host-events.csv: 2947 rows after its header, no SLOT_ADD row. */
const CSV = join(REPO_ROOT, 'traces', 'host-events.csv');
const EVENTS = 2947;
/** 2 arches x 2 pre-fault settings: 4 cells per trace (x86-tdx left out: its stolen-bit pre-pass reads the events once more). */
const MATRIX = { arch: 'x86-tdp,arm64', prefault: 'none,all', backing: '2m' };
const CELLS = 4;

let counter: DecodeCounter | undefined;
afterEach(() => counter?.restore());

async function run(trace: string, traceMemory: string): Promise<{ decoded: number; results: string }> {
  const out = join(tempDir(), 'report');
  counter = countDecodedEvents();
  const outcome = await runReport([trace], { ...MATRIX, out, threads: '0', quiet: true, traceMemory });
  const decoded = counter.events();
  counter.restore();
  expect(outcome.exitCode).toBe(0);
  return { decoded, results: readFileSync(join(out, 'results.csv'), 'utf8') };
}

describe('one decode per trace', () => {
  it('decodes a trace that fits in memory once for all its cells, with the results of the streamed run', async () => {
    const mtr = join(tempDir(), 'host-events.mtr');
    expect(runCli(['convert', CSV, mtr]).status).toBe(0);
    for (const trace of [CSV, mtr]) {
      const shared = await run(trace, '64');
      const streamed = await run(trace, '0');
      expect(shared.decoded, trace).toBe(EVENTS); // the checking pass, kept
      // A CSV: the checking pass, then once per cell. An .mtr: once per cell (each chunk is checked as it is replayed).
      const passes = trace === CSV ? 1 + CELLS : CELLS;
      expect(streamed.decoded, trace).toBe(EVENTS * passes);
      expect(shared.results).toBe(streamed.results);
    }
  }, 60_000);
});
