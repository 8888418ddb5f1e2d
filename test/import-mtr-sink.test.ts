/**
 * `import --out OUT.mtr` (MtrTraceSink): the binary trace holds the same
 * events, in the same replay order, as the CSV import read back by the CSV
 * reader, across spool-block boundaries and for ftrace inputs that overlap in
 * time; its source text holds the header comments, skip counts included.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../src/trace/csvTraceReader.js';
import { readBinaryTrace, readBinaryTraceHeader } from '../src/trace/binary/binaryTraceReader.js';
import type { Trace } from '../src/trace/traceEvents.js';
import { importCommand } from '../src/cli/importCommand.js';
import { MTR_SINK_BLOCK_EVENTS } from '../src/trace/importers/mtrTraceSink.js';
import { fixture, tempDir } from './helpers/runCli.js';

function sameEvents(a: Trace, b: Trace): void {
  expect(a.events.count).toBe(b.events.count);
  // A loop, not toEqual: deep equality of 200,000-element typed arrays takes seconds.
  for (const column of ['op', 'vcpu', 'gpa', 'sizeBytes', 'slot'] as const) {
    const [x, y] = [a.events[column], b.events[column]];
    let differs = -1;
    for (let i = 0; i < a.events.count && differs < 0; i++) if (x[i] !== y[i]) differs = i;
    expect(differs, `first event whose ${column} differs`).toBe(-1);
  }
  expect([a.vcpuCount, a.touchedEndGpa, a.declaresSlots]).toEqual([b.vcpuCount, b.touchedEndGpa, b.declaresSlots]);
}

/** Import `inputs` to both OUT.csv and OUT.mtr in a fresh folder; returns the two paths. */
async function importBoth(format: string, inputs: string[], extra: Record<string, string> = {}): Promise<{ csv: string; mtr: string; dir: string }> {
  const dir = tempDir();
  const csv = join(dir, 'out.csv');
  const mtr = join(dir, 'out.mtr');
  expect(await importCommand(inputs, { format, out: csv, quiet: true, ...extra })).toBe(0);
  expect(await importCommand(inputs, { format, out: mtr, quiet: true, ...extra })).toBe(0);
  return { csv, mtr, dir };
}

describe('import to .mtr', () => {
  it('holds the CSV import events across spool blocks (3 x 65536 + 5 rows), with the comments as its source', async () => {
    const dir = tempDir();
    const log = join(dir, 'many.log');
    const rows = 3 * MTR_SINK_BLOCK_EVENTS + 5;
    const lines = ['==1== Lackey'];
    for (let i = 0; i < rows; i++) lines.push(`${i % 3 === 0 ? 'I ' : i % 3 === 1 ? ' L' : ' S'} ${(0x7ff000000 + i * 8).toString(16)},8`);
    writeFileSync(log, `${lines.join('\n')}\n`);
    const { csv, mtr, dir: out } = await importBoth('lackey', [log], { vcpus: '1' });
    const binary = readBinaryTrace(mtr);
    sameEvents(binary, await readCsvTrace(csv));
    expect(binary.events.count).toBe(rows);
    // Line numbers are the log's: the first access is on line 2.
    expect([binary.events.line[0], binary.events.line[rows - 1]]).toEqual([2, rows + 1]);
    const source = readBinaryTraceHeader(mtr).source.split('\n');
    expect(source[0]).toBe('mmubench 0.1.0 import --format lackey');
    expect(source[source.length - 1]).toBe('skipped lines: 1 left out (valgrind message (==PID==): 1)');
    expect(readdirSync(out).sort()).toEqual(['out.csv', 'out.mtr']);
  });

  it('stores ftrace rows from inputs that overlap in time in (time, input order) order, as the CSV reader replays them', async () => {
    const dir = tempDir();
    const a = join(dir, 'cpu0.txt');
    const b = join(dir, 'cpu1.txt');
    const fault = (t: string, vcpu: number, gpa: string): string =>
      ` CPU ${vcpu}/KVM-${100 + vcpu} [00${vcpu}] .... ${t}: kvm_page_fault: vcpu ${vcpu} rip 0x1000 address ${gpa} error_code 0x6`;
    writeFileSync(a, [fault('1.000000', 0, '0x1000'), fault('1.000300', 0, '0x2000')].join('\n'));
    writeFileSync(b, [fault('1.000100', 1, '0x3000'), fault('1.000200', 1, '0x4000')].join('\n'));
    const { csv, mtr } = await importBoth('ftrace', [a, b]);
    const binary = readBinaryTrace(mtr);
    sameEvents(binary, await readCsvTrace(csv));
    expect(Array.from(binary.events.gpa)).toEqual([0x1000, 0x3000, 0x4000, 0x2000]);
    expect(Array.from(binary.events.vcpu)).toEqual([0, 1, 1, 0]);
  });

  it('the real kvmmmu capture gives the same 300 events as .csv and .mtr', async () => {
    const { csv, mtr } = await importBoth('ftrace', [fixture('ftrace-kvmmmu-shadow-4k.txt')], { gpaBelow: '0x40000000' });
    const binary = readBinaryTrace(mtr);
    sameEvents(binary, await readCsvTrace(csv));
    expect(binary.events.count).toBe(300);
  });
});
