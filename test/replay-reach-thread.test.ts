/**
 * The TLB reach curves computed on a thread of their own (src/replay/
 * reachRing.ts, reachWorker.ts) are exactly those computed on the replay's
 * thread: on bundled traces with two vCPUs (two feeds, their chunks
 * interleaved in one ring) and with host events (range and full flushes),
 * and on a trace of 400 000 lookups (25 chunks of 16 384 words through a
 * ring of 8 slots: it wraps and the replay waits for room). A failure on
 * that thread comes back as the replay's error, with its message.
 *
 * Runs the build (dist/), as the command does: the thread starts
 * dist/src/replay/reachWorker.js.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/runCli.js';

const dist = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(REPO_ROOT, 'dist', 'src', path)).href)) as T;
const { replayCell } = await dist<typeof import('../src/replay/replayCell.js')>('replay/replayCell.js');
const { parseMatrix } = await dist<typeof import('../src/replay/parseMatrix.js')>('replay/parseMatrix.js');
const { readCsvTrace } = await dist<typeof import('../src/trace/csvTraceReader.js')>('trace/csvTraceReader.js');
const { allocateTraceEvents } = await dist<typeof import('../src/trace/traceEvents.js')>('trace/traceEvents.js');
const { ReachRing, reachThreadFits } = await dist<typeof import('../src/replay/reachRing.js')>('replay/reachRing.js');

const LAYOUT = { memslots: [], defaultSlotAlignBytes: 1 << 30 };

/** `trace` under `matrix`'s first scenario, curves here and on their thread: both results' curves. */
function bothWays(trace: Parameters<typeof replayCell>[0], matrix: Record<string, string>) {
  const [scenario] = parseMatrix(matrix);
  const here = replayCell(trace, scenario, LAYOUT, {}, { tlbReach: true });
  const thread = replayCell(trace, scenario, LAYOUT, {}, { tlbReach: true, tlbReachThread: true });
  return { here: here.tlbReach, thread: thread.tlbReach, misses: here.total.tlb_misses };
}

describe('reach curves on their own thread', () => {
  it('equal those computed on the replay thread: two vCPUs, and host events', async () => {
    for (const [file, matrix] of [
      ['traces/interleaved-2vcpu.csv', { arch: 'x86-tdp', backing: '4k', prefault: 'none' }],
      ['traces/host-events.csv', { arch: 'arm64', backing: '2m', prefault: 'all' }],
      ['traces/memstress-dirty-2vcpu.csv', { arch: 'x86-tdp', backing: '4k', prefault: 'none' }],
    ] as const) {
      const { here, thread, misses } = bothWays(await readCsvTrace(join(REPO_ROOT, file)), matrix);
      expect(here, file).toBeDefined();
      expect(misses, file).toBeGreaterThan(0);
      expect(thread, file).toEqual(here);
    }
  });

  it('equal them over 25 chunks through the 8-slot ring', () => {
    const n = 400_000;
    const ev = allocateTraceEvents(n);
    let r = 1;
    for (let i = 0; i < n; i++) {
      r = (r * 48271) % 2147483647; // a new page most of the time: one lookup word per access
      ev.op[i] = 1;
      ev.gpa[i] = (r % 8192) * 4096;
      ev.sizeBytes[i] = 8;
      ev.slot[i] = -1;
      ev.line[i] = i + 2;
    }
    const trace = { path: 'mem', name: 'mem', events: ev, vcpuCount: 1, touchedEndGpa: 8192 * 4096, declaresSlots: false };
    const { here, thread } = bothWays(trace, { arch: 'x86-tdp', backing: '4k', prefault: 'none' });
    expect(here!.misses[0]).toBeGreaterThan(300_000); // 16 entries: nearly every lookup misses
    expect(thread).toEqual(here);
  });

  it('is used for a cell of 3 M events or more, with a core free for each running cell', () => {
    const cores = availableParallelism();
    expect(reachThreadFits(2_999_999, 1)).toBe(false);
    expect(reachThreadFits(3_000_000, 1)).toBe(cores >= 2);
    expect(reachThreadFits(3_000_000, cores)).toBe(false); // every core replays a cell
    expect(reachThreadFits(50_000_000, Math.floor(cores / 2))).toBe(cores >= 2);
  });

  it("the thread's failure is the replay's error, with its message", () => {
    const ring = ReachRing.start(1)!;
    ring.push(0, Float64Array.from([-9]), 1, 0);
    expect(() => ring.finish()).toThrow('TLB reach curve thread: reach ops: unknown operation -9 at 3');
  });
});
