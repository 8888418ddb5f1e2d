/**
 * The reach curve a replay feeds (one `ReachCurve` per vCPU, summed) is exact:
 * its misses at N entries equal `tlb_misses` of a direct replay with a fully
 * associative single-level TLB of N entries (`--tlb-entries N --tlb-ways N`),
 * whatever TLB the curve's own replay models (the fast path skips the curve;
 * vcpuAccessPath.ts `feedReach` says why that is exact), with UNMAP flushes,
 * multi-frame accesses, exec rows and accesses outside every memslot (MMIO).
 */
import { describe, expect, it } from 'vitest';
import { parseMatrix, type RawMatrixOptions } from '../src/replay/parseMatrix.js';
import { replayCell } from '../src/replay/replayCell.js';
import type { Layout } from '../src/replay/openCell.js';
import type { Trace } from '../src/trace/traceEvents.js';
import { traceFromText } from './helpers/traceFromText.js';

const MiB = 1 << 20;
/** One 64 MiB memslot: accesses from 64 MiB up are MMIO exits. */
const LAYOUT: Layout = { memslots: [{ gpa: 0, sizeBytes: 64 * MiB, source: 'test slot' }], defaultSlotAlignBytes: 1 << 30 };
const SIZES = [16, 64, 256, 1024];

function curveOf(trace: Trace, matrix: RawMatrixOptions): number[] {
  const [scenario] = parseMatrix({ prefault: 'none', ...matrix });
  const result = replayCell(trace, scenario, LAYOUT, {}, { tlbReach: true });
  const reach = result.tlbReach!;
  return SIZES.map((size) => reach.misses[reach.entries.indexOf(size)]);
}

function directMisses(trace: Trace, matrix: RawMatrixOptions): number[] {
  return SIZES.map((size) => {
    const [scenario] = parseMatrix({ prefault: 'none', ...matrix, tlb: 'simple', tlbEntries: String(size), tlbWays: String(size) });
    return replayCell(trace, scenario, LAYOUT).total.tlb_misses;
  });
}

/** A seeded trace: `count` rows over `pages` 4K pages in a few hot and cold regions, with UNMAPs, MMIO and page-crossing accesses. */
function randomTrace(seed: number, count: number, vcpus: number): string {
  let state = seed;
  const next = (n: number): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const rows = ['vcpu,op,gpa,size'];
  for (let i = 0; i < count; i++) {
    const vcpu = next(vcpus);
    const roll = next(100);
    if (roll < 2) {
      rows.push(`${vcpu},UNMAP,0x${(next(32) * 2 * MiB).toString(16)},0x${(next(3) === 0 ? 2 * MiB : 0x1000 * (1 + next(64))).toString(16)}`);
      continue;
    }
    // Hot: 200 pages near 0; warm: 1500 pages of the first 24 MiB; cold: anywhere in 64 MiB; 1 in 100 beyond (MMIO).
    const page = roll < 50 ? next(200) : roll < 80 ? next(6144) : roll < 99 ? next(16384) : 16384 + next(100);
    const op = roll % 7 === 0 ? 'X' : roll % 3 === 0 ? 'W' : 'R';
    const crossing = next(20) === 0;
    const gpa = page * 0x1000 + (crossing ? 0xffc : 8 * next(500));
    rows.push(`${vcpu},${op},0x${gpa.toString(16)},${crossing ? 8 : 4}`);
  }
  return rows.join('\n');
}

describe('the replay reach curve equals direct replays of fully associative TLBs', () => {
  it('hand-checked: 20 pages read twice in order, then an UNMAP of the first and a read of it again', async () => {
    // 4K backing: 20 translations. Cyclic order of 20 > 16: at 16 entries every read misses (40);
    // from 32 up only the first 20 do. The UNMAP drops page 0 in every TLB: its read misses at every size.
    const reads = Array.from({ length: 20 }, (_, page) => `0,R,0x${(page * 0x1000).toString(16)},8`);
    const csv = ['vcpu,op,gpa,size', ...reads, ...reads, '0,UNMAP,0x0,0x1000', '0,R,0x0,8'].join('\n');
    const trace = await traceFromText(csv);
    const [scenario] = parseMatrix({ prefault: 'none', backing: '4k' });
    const reach = replayCell(trace, scenario, LAYOUT, {}, { tlbReach: true }).tlbReach!;
    expect(reach.entries.slice(0, 3)).toEqual([16, 32, 64]);
    expect(reach.misses.slice(0, 3)).toEqual([41, 21, 21]);
    expect(directMisses(trace, { backing: '4k' }).slice(0, 2)).toEqual([41, 21]);
  });

  for (const backing of ['4k', '2m', '1g']) {
    it(`one vCPU, ${backing} backing, under the default TLB and a small 4-way one`, async () => {
      const trace = await traceFromText(randomTrace(7, 6000, 1));
      const direct = directMisses(trace, { backing });
      expect(new Set(direct).size, 'the sizes differ: the test can tell them apart').toBeGreaterThan(backing === '4k' ? 2 : 1);
      expect(curveOf(trace, { backing })).toEqual(direct);
      expect(curveOf(trace, { backing, tlbEntries: '64', tlbWays: '4' })).toEqual(direct);
    });
  }

  it('one vCPU under the skylake preset (split L1, 1G fetches outside L1: the fast path keeps the curve exact)', async () => {
    const trace = await traceFromText(randomTrace(11, 6000, 1));
    for (const backing of ['4k', '1g']) expect(curveOf(trace, { backing, tlb: 'skylake' }), backing).toEqual(directMisses(trace, { backing }));
  });

  it('a fast hit on the previous translation after fetches outside L1 (skylake, 1G) still counts its stack distance', async () => {
    // Reads of the 1G pages at 0 and 1 GiB (the L1 data 1G array holds both), then fetches of the 19
    // 1G pages from 2 GiB on: skylake's L1 has no 1G fetch array, so they are found in L2 and the
    // last remembered translation is forgotten while the previous one (page 0) stays in its L1 slot.
    // The final read of page 0 is then at stack distance 21: a miss at 16 entries, a hit at 32. Misses:
    // 2 + 19 + 1 = 22 at 16 entries, 21 from 32 up. Without `feedReach` forgetting page 0 it would be
    // a fast hit the curve never sees (21 at 16 entries).
    const GiB = 1 << 30;
    const fetches = Array.from({ length: 19 }, (_, i) => `0,X,0x${((i + 2) * GiB).toString(16)},4`);
    const csv = ['vcpu,op,gpa,size', '0,R,0x0,8', `0,R,0x${GiB.toString(16)},8`, ...fetches, '0,R,0x8,8'].join('\n');
    const trace = await traceFromText(csv);
    const layout: Layout = { memslots: [{ gpa: 0, sizeBytes: 32 * GiB, source: 'test slot' }], defaultSlotAlignBytes: GiB };
    const [scenario] = parseMatrix({ prefault: 'none', backing: '1g', tlb: 'skylake' });
    const reach = replayCell(trace, scenario, layout, {}, { tlbReach: true }).tlbReach!;
    expect(reach.misses.slice(0, 2)).toEqual([22, 21]);
    const direct = [16, 32].map((n) => {
      const [fa] = parseMatrix({ prefault: 'none', backing: '1g', tlbEntries: String(n), tlbWays: String(n) });
      return replayCell(trace, fa, layout).total.tlb_misses;
    });
    expect(direct).toEqual([22, 21]);
  });

  it('three vCPUs, 4K backing: per-vCPU curves summed, UNMAP flushes reaching every vCPU', async () => {
    const trace = await traceFromText(randomTrace(3, 6000, 3));
    expect(curveOf(trace, { backing: '4k' })).toEqual(directMisses(trace, { backing: '4k' }));
  });

  it('off by default: no curve', async () => {
    const trace = await traceFromText(randomTrace(3, 100, 1));
    const [scenario] = parseMatrix({ prefault: 'none' });
    expect(replayCell(trace, scenario, LAYOUT).tlbReach).toBeUndefined();
  });
});
