/**
 * The bench's C reference (bench/cref/replay.c, the `vs-c` suite) counts
 * what our replay counts for the same TLB geometry (simple 1536 x 12, 4K
 * backing, no pre-fault): accesses, TLB lookups, misses and faults, on a
 * tiny trace that exercises the set index, LRU eviction, a spanning access
 * and a hit after a fault. Built with the system compiler by
 * native/build.mjs; skips, saying why, when there is none.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCrefLine } from '../bench/childRun.js';
import { replayText } from './helpers/traceFromText.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CREF = join(ROOT, 'native', 'build', 'cref-replay');
const build = spawnSync(process.execPath, [join(ROOT, 'native', 'build.mjs')], { encoding: 'utf8' });
const built = existsSync(CREF);
if (!built) console.warn(`bench-cref-agrees: skipping, the C reference could not be built: ${build.stderr.trim()}`);

const PAGE = 4096;
const SETS = 128; // 1536 entries / 12 ways
// Pages 0, 128, ..., 1536: thirteen pages of set 0, one more than its 12 ways.
const SET0_PAGES = Array.from({ length: 13 }, (_, k) => k * SETS);
const ROWS = [
  ...SET0_PAGES.map((page) => `0,R,0x${(page * PAGE).toString(16)},8`), // 13 misses, 13 faults; page 1536 evicts page 0 (LRU)
  `0,R,0x${(128 * PAGE).toString(16)},8`, // hit: page 128 becomes the most recent
  '0,R,0x0,8', // miss (evicted), mapped already: no fault; evicts page 256, now the LRU
  `0,R,0x${(256 * PAGE).toString(16)},8`, // miss, no fault
  '0,W,0x1ff8,16', // spans pages 1 and 2 (sets 1 and 2): two lookups, two misses, two faults
  '0,W,0x1000,8', // hit (x86 maps a 4K anonymous page writable on the first fault)
];
const CSV = `vcpu,op,gpa,size\n${ROWS.join('\n')}\n`;

describe('bench C reference', () => {
  it.skipIf(!built)('counts the accesses, lookups, TLB misses and faults our replay counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmubench-cref-'));
    try {
      const path = join(dir, 'conflict.csv');
      writeFileSync(path, CSV);
      const run = spawnSync(CREF, [path], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const c = parseCrefLine(run.stdout, 0);
      const ours = (await replayText(CSV, { arch: 'x86-tdp', backing: '4k', tlbEntries: '1536', tlbWays: '12' })).total;
      // 18 rows; 19 lookups (the spanning write takes two); misses 13 + 2 + 2 = 17; faults 13 + 2 = 15; hits 2.
      expect({ accesses: c.accesses, lookups: c.lookups, misses: c.misses, faults: c.faults }).toEqual({ accesses: 18, lookups: 19, misses: 17, faults: 15 });
      expect({ accesses: ours.accesses, lookups: ours.tlb_hits + ours.tlb_misses, misses: ours.tlb_misses, faults: ours.faults }).toEqual({
        accesses: 18,
        lookups: 19,
        misses: 17,
        faults: 15,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
