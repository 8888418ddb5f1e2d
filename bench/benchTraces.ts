/**
 * Synthetic traces for the benchmarks, generated on the fly (seeded, so the
 * same bytes every run) and written as binary traces chunk by chunk: memory
 * stays one batch whatever the length. Nothing here is committed as data.
 */
import { BinaryTraceWriter } from '../src/trace/binary/binaryTraceWriter.js';
import { Op } from '../src/trace/ops.js';
import { allocateTraceEvents } from '../src/trace/traceEvents.js';

/** What a benchmark trace stresses. */
export type BenchTraceKind = 'hit' | 'stream' | 'fault' | 'flush';
/** Every trace writeBenchTrace writes: the replay suite's kinds and vs-c's and huge's `cycle`. */
export type AnyBenchTraceKind = BenchTraceKind | 'cycle';

/** Events generated per batch. */
const BATCH = 1 << 16;
const PAGE = 4096;

/** Hit-heavy: 8-byte accesses, 30% writes, uniform over a 4 MiB hot set (two 2 MiB pages: TLB hits after the first faults). */
const HOT_BYTES = 4 << 20;
/** Flush-heavy: accesses over this many 4 KiB pages, one page unmapped every `FLUSH_EVERY` events. */
const FLUSH_PAGES = 1024;
const FLUSH_EVERY = 64;
/** Cycle: 8-byte reads of the first byte of each of this many 4 KiB pages in turn (issue 14's "20 M hits cycling over 256 pages"). */
export const CYCLE_PAGES = 256;

/** xorshift32: the bench's own tiny PRNG (one state word, no allocation). */
function nextRandom(state: Uint32Array): number {
  let x = state[0];
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  state[0] = x;
  return x >>> 0;
}

/**
 * Write a `kind` trace of `events` events (one vCPU) to `path`.
 * - hit: uniform 8-byte accesses in the hot set;
 * - stream: the hot set read and written in order, 64 bytes apart (a loop over an array: mostly the last translation);
 * - fault: a boot, one write per 4 KiB page in order (every access faults with 4K backing);
 * - flush: accesses to random pages of a 4 MiB range, and every 64th event an UNMAP of one page;
 * - cycle: reads of pages 0, 1, ..., 255, 0, 1, ... (all TLB hits after the first 256 with a 1536-entry TLB).
 * Returns the number of guest accesses written.
 */
export async function writeBenchTrace(path: string, kind: AnyBenchTraceKind, events: number, seed = 1): Promise<number> {
  const writer = await BinaryTraceWriter.create(path, { source: `mmubench bench: ${kind}, ${events} events, seed ${seed}` });
  const batch = allocateTraceEvents(BATCH);
  const state = Uint32Array.of(seed || 1);
  let accesses = 0;
  for (let start = 0; start < events; start += BATCH) {
    const n = Math.min(BATCH, events - start);
    for (let j = 0; j < n; j++) {
      const i = start + j;
      const r = nextRandom(state);
      let op: Op = (r & 15) < 5 ? Op.W : Op.R;
      let gpa: number;
      let size = 8;
      if (kind === 'hit') gpa = ((r >>> 4) % (HOT_BYTES / 8)) * 8;
      else if (kind === 'stream') gpa = (i * 64) % HOT_BYTES;
      else if (kind === 'cycle') {
        op = Op.R;
        gpa = (i % CYCLE_PAGES) * PAGE;
      } else if (kind === 'fault') {
        op = Op.W;
        gpa = i * PAGE;
      } else {
        gpa = ((r >>> 4) % FLUSH_PAGES) * PAGE + (r & 0xff8 & (PAGE - 1));
        if (i % FLUSH_EVERY === FLUSH_EVERY - 1) {
          op = Op.UNMAP;
          gpa -= gpa % PAGE;
          size = PAGE;
        }
      }
      if (op !== Op.UNMAP) accesses++;
      batch.op[j] = op;
      batch.vcpu[j] = 0;
      batch.gpa[j] = gpa;
      batch.sizeBytes[j] = size;
      batch.slot[j] = -1;
      batch.line[j] = i + 2;
    }
    batch.count = n;
    await writer.append(batch, 0, n);
  }
  await writer.finish(); // vCPU count 1, touched end, no memslots: what the events say
  return accesses;
}
