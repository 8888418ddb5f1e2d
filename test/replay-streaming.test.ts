/**
 * Streaming replay: a binary trace replayed chunk by chunk from its file
 * gives exactly the result of the same trace held in memory (every counter,
 * the fault curve, pre-fault calls), whatever the chunk size; and `run` gives
 * byte-identical results.csv from the CSV and the .mtr, with 1 or 2 threads.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../src/trace/csvTraceReader.js';
import { openBinaryTrace } from '../src/trace/binary/binaryTraceReader.js';
import { writeBinaryTrace } from '../src/trace/binary/binaryTraceWriter.js';
import { replayCell } from '../src/replay/replayCell.js';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import type { CellResult } from '../src/replay/results.js';
import { REPO_ROOT, runCli, tempDir } from './helpers/runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-stream-'));
const LAYOUT = { memslots: [], defaultSlotAlignBytes: 1 << 30 };

/** Everything but the wall time. */
function withoutTime(result: CellResult): Omit<CellResult, 'elapsedMs'> {
  const { elapsedMs: _elapsed, ...rest } = result;
  return rest;
}

describe('streaming replay of binary traces', () => {
  for (const [file, chunkRecords] of [
    ['interleaved-2vcpu', 333],
    ['host-events', 64],
    ['boot-seq', 65536],
  ] as const) {
    it(`${file}: chunks of ${chunkRecords} replay as the in-memory trace, on every arch`, async () => {
      const csv = await readCsvTrace(join(REPO_ROOT, 'traces', `${file}.csv`));
      const mtr = join(dir, `${file}.mtr`);
      await writeBinaryTrace(csv, mtr, { chunkRecords });
      const streamed = openBinaryTrace(mtr);
      expect(streamed.stream).toEqual({ format: 'mtr', path: mtr });
      expect(streamed.events.count).toBe(csv.events.count);
      // Every arch (x86-tdx: the stolen-bit pre-pass over the chunks), and pre-faults.
      const scenarios = [
        ...parseMatrix({ arch: 'x86-tdp,x86-tdx,arm64,pkvm', backing: '2m', prefault: 'none' }),
        ...parseMatrix({ arch: 'x86-tdp', backing: '2m', prefault: 'all' }),
      ];
      for (const scenario of scenarios) {
        const expected = withoutTime(replayCell(csv, scenario, LAYOUT));
        expect(withoutTime(replayCell(streamed, scenario, LAYOUT)), scenario.name).toEqual(expected);
      }
    }, 30_000);
  }
});

describe('mmubench run on a binary trace', () => {
  it('gives byte-identical results.csv from the CSV and the .mtr, with --threads 1 and --threads 2', () => {
    const work = tempDir();
    const csv = join(REPO_ROOT, 'traces', 'interleaved-2vcpu.csv');
    const mtr = join(work, 'interleaved-2vcpu.mtr');
    const converted = runCli(['convert', csv, mtr]);
    expect(converted.status, converted.stderr).toBe(0);
    const matrix = ['--arch', 'x86-tdp,arm64', '--backing', '2m', '-q'];
    const results = (trace: string, threads: string): string => {
      const out = join(work, `out-${threads}-${trace.endsWith('.mtr') ? 'mtr' : 'csv'}`);
      const result = runCli(['run', trace, '--out', out, '--threads', threads, ...matrix]);
      expect(result.status, result.stderr).toBe(0);
      return readFileSync(join(out, 'results.csv'), 'utf8');
    };
    const one = results(mtr, '1');
    expect(one.split('\n').length).toBeGreaterThan(6);
    expect(results(mtr, '2')).toBe(one);
    expect(results(csv, '2')).toBe(one);
  }, 60_000);

  it('convert back to CSV gives the same events, on the same lines', async () => {
    const work = tempDir();
    const csv = join(REPO_ROOT, 'traces', 'host-events.csv');
    const mtr = join(work, 'h.mtr');
    const back = join(work, 'h.csv');
    const forth = runCli(['convert', csv, mtr]);
    expect(forth.status, forth.stderr).toBe(0);
    const result = runCli(['convert', mtr, back]);
    expect(result.status, result.stderr).toBe(0);
    // Comments become empty lines (so line numbers stay), an empty size becomes its value 1: compare the events.
    const events = async (path: string): Promise<number[][]> => {
      const { events: ev } = await readCsvTrace(path);
      return [ev.op, ev.vcpu, ev.gpa, ev.sizeBytes, ev.slot, ev.line].map((column) => Array.from(column.subarray(0, ev.count)));
    };
    expect(await events(back)).toEqual(await events(csv));
    expect(readFileSync(back, 'utf8').split('\n').slice(0, 4)).toEqual(['vcpu,op,gpa,size,x_slot', '', '', '0,R,0x0,8,']);
  }, 30_000);

  it('convert refuses an OUT that is neither .mtr nor .csv, exit 2', () => {
    const result = runCli(['convert', join(REPO_ROOT, 'traces', 'host-events.csv'), join(tempDir(), 'x.bin')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^mmubench: OUT: ".*x\.bin" must end in \.mtr \(binary trace\) or \.csv \(CSV trace\)\n$/);
  });
});
