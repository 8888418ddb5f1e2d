/**
 * Over a generated nested trace (gen --kind nested), for each arch family,
 * backing and pre-fault: every AT ends on exactly one path, the software
 * walker reads one descriptor per level of each slow AT, a read faults at
 * most once, and the TLBs stay coherent after every event
 * (replayText checks that).
 */
import { describe, expect, it } from 'vitest';
import { GENERATOR_DEFAULTS, generateTrace } from '../src/trace/generators.js';
import { replayText } from './helpers/traceFromText.js';

/**
 * 3000 rows of `gen --kind nested` (UNMAPs after rows 1024 and 2048, the second of the guest
 * tables at the top of the 1 GiB default slot), with an `AT S1E1R 0x0` right after each UNMAP:
 * after the second, VA 0's last-level table page is gone and nothing has walked it back, so that
 * AT is slow in every cell.
 */
const ROWS = [...generateTrace({ ...GENERATOR_DEFAULTS, kind: 'nested', seed: 11, accesses: 3000, memoryBytes: 64 << 20, vcpus: 2 })];
const CSV = `${ROWS.flatMap((row) => (row.includes(',UNMAP,') ? [row, '0,AT,0x0,,S1E1R'] : [row])).join('\n')}\n`;

describe('AT emulation invariants on a nested trace', () => {
  for (const arch of ['x86-tdp', 'arm64']) {
    for (const backing of ['4k', '2m']) {
      for (const prefault of ['none', 'all']) {
        it(`${arch}, ${backing} backing, prefault ${prefault}`, async () => {
          const r = await replayText(CSV, { arch, backing, prefault, guestLevels: '4' });
          const t = r.total;
          expect(t.at_ops).toBeGreaterThan(0);
          expect(t.at_fast + t.at_slow).toBe(t.at_ops);
          expect(t.at_walk_reads).toBe(4 * t.at_slow); // every table page is in the slot: no walk stops early
          expect(t.at_faults).toBeLessThanOrEqual(t.at_walk_reads);
          expect(t.at_slow).toBeGreaterThanOrEqual(1);
        });
      }
    }
  }
});
