/**
 * A streamed CSV trace checked into a decoded `.mtr` copy (csvDecodedCopy.ts):
 * the replay streams the copy, whose events (CSV line numbers included) are
 * those of a whole csv-parse read; a file found not plain after the first
 * chunk, a bad row after it, a trace that must be sorted and a folder that
 * cannot take the copy each end as they would without it; `run` leaves no
 * copy behind and removes those of killed runs.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { InputError } from '../src/errors.js';
import { OWNER_TAG } from '../src/tempNames.js';
import { Op } from '../src/trace/ops.js';
import { openCsvTrace, readWithCsvParse } from '../src/trace/csvTraceReader.js';
import { readBinaryTraceHeader } from '../src/trace/binary/binaryTraceReader.js';
import { forEachEventChunk } from '../src/trace/eventChunks.js';
import type { Trace, TraceEvents } from '../src/trace/traceEvents.js';
import { runCli, tempDir } from './helpers/runCli.js';
import { textFiles } from './helpers/textFiles.js';

const { dir, file } = textFiles('copy');
let folders = 0;

/** A fresh, empty copies folder. */
function copiesDir(): string {
  const path = join(dir, `copies${folders++}`);
  mkdirSync(path);
  return path;
}

const KEYS = ['op', 'vcpu', 'gpa', 'sizeBytes', 'slot', 'line'] as const;

function rows(events: TraceEvents, into: number[][] = []): number[][] {
  for (let i = 0; i < events.count; i++) into.push(KEYS.map((key) => events[key][i]));
  return into;
}

function streamed(trace: Trace): number[][] {
  const out: number[][] = [];
  forEachEventChunk(trace, (chunk) => rows(chunk, out));
  return out;
}

/** `count` access rows after the header (line 2): row i reads page i on vCPU i % 2. */
function accessRows(count: number): string {
  let text = 'vcpu,op,gpa,size\n';
  for (let i = 0; i < count; i++) text += `${i % 2},R,0x${(i * 4096).toString(16)},8\n`;
  return text;
}

// A comment, the header, 3 rows on 2 vCPUs; the highest end is 8192 + 0x10 (line 4).
const TEXT = '# gen\nvcpu,op,gpa,size\n0,R,0x1000,8\n1,W,8192,0X10\n0,R,0x2000,8\n';

describe('CSV decoded copy', () => {
  it('streams the copy: the events and lines of a whole csv-parse read, the trace facts in its header', async () => {
    const path = file(TEXT);
    const copies = copiesDir();
    const trace = await openCsvTrace(path, { copies: { dir: copies } });
    expect(trace.stream?.format).toBe('mtr');
    expect(trace.stream?.checked).toBe(true); // its events were checked as the CSV was: not again per cell
    expect(readdirSync(copies)).toHaveLength(1);
    expect(streamed(trace)).toEqual(rows((await readWithCsvParse(path)).events));
    expect(streamed(trace).map((row) => row[5])).toEqual([3, 4, 5]);
    const header = readBinaryTraceHeader(trace.stream!.path);
    expect([header.eventCount, header.vcpuCount, header.touchedEndGpa]).toEqual([3, 2, 8192 + 16]);
    expect(trace.path).toBe(path); // located errors still name the CSV
  });

  it('keeps the events read while the trace might have fitted in memory (3 kept of 4: it does not fit)', async () => {
    const path = file(accessRows(4));
    const trace = await openCsvTrace(path, { inMemoryBytes: 3 * 27, copies: { dir: copiesDir() } });
    expect(trace.stream?.format).toBe('mtr');
    expect(streamed(trace)).toEqual(rows((await readWithCsvParse(path)).events));
  });

  it('starts again with csv-parse when a row past the first chunk is not plain: one copy, every event', async () => {
    // 70000 plain rows (a first chunk of 65536 written), then a quoted cell.
    const path = file(`${accessRows(70000)}0,R,"0x5000",8\n`);
    const copies = copiesDir();
    const trace = await openCsvTrace(path, { copies: { dir: copies } });
    expect(trace.stream?.format).toBe('mtr');
    expect(readdirSync(copies)).toHaveLength(1);
    const events = streamed(trace);
    expect(events).toHaveLength(70001);
    expect(events[70000]).toEqual([Op.R, 0, 0x5000, 8, -1, 70002]); // line 70002: the header is line 1
  });

  it('fails on a bad row past the first chunk with its CSV line, and leaves no copy', async () => {
    const path = file(`${accessRows(70000)}0,R,0xZZ,8\n`);
    const copies = copiesDir();
    const error = await openCsvTrace(path, { copies: { dir: copies } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(`${path}:70002: column gpa: "0xZZ" is not a hex or decimal address`);
    expect(readdirSync(copies)).toEqual([]);
  });

  it('reads a trace that must be sorted whole, and removes its copy', async () => {
    const copies = copiesDir();
    const trace = await openCsvTrace(file('vcpu,op,gpa,size,time\n0,R,0x1000,8,5\n1,W,0x2000,8,1\n'), { copies: { dir: copies } });
    expect(trace.stream).toBeUndefined();
    expect(Array.from(trace.events.line)).toEqual([3, 2]);
    expect(readdirSync(copies)).toEqual([]);
  });

  it('gives the copy up with a note when its folder cannot take it, and streams the CSV', async () => {
    const path = file(TEXT);
    const notes: string[] = [];
    const underAFile = join(file('not a folder'), 'copies'); // mkdir fails: ENOTDIR
    const trace = await openCsvTrace(path, { copies: { dir: underAFile, onNote: (note) => notes.push(note) } });
    expect(trace.stream?.format).toBe('csv');
    expect(streamed(trace)).toEqual(rows((await readWithCsvParse(path)).events));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(new RegExp(`^${path}: no decoded copy \\(.*\\); each cell parses the CSV again$`));
    expect(notes[0]).toContain('ENOTDIR');
  });

  it("run: two cells over a streamed CSV give the in-memory counters and leave no copy in TMPDIR, nor a killed run's", () => {
    const trace = file(accessRows(3000));
    const tmp = tempDir();
    // The copies folder of a run that was killed: its process is gone.
    const deadPid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    mkdirSync(join(tmp, `.mmubench-decoded.tmp-${deadPid}-${OWNER_TAG}`));
    writeFileSync(join(tmp, `.mmubench-decoded.tmp-${deadPid}-${OWNER_TAG}`, '0-big.csv.mtr'), 'partial');
    const args = ['run', trace, '--prefault', 'none,all', '-q'];
    const streamedOut = join(tempDir(), 'streamed');
    const inMemoryOut = join(tempDir(), 'in-memory');
    const a = runCli([...args, '--trace-memory', '0', '--out', streamedOut], { TMPDIR: tmp });
    const b = runCli([...args, '--out', inMemoryOut]);
    expect([a.status, b.status], a.stderr + b.stderr).toEqual([0, 0]);
    expect(readFileSync(join(streamedOut, 'results.csv'), 'utf8')).toBe(readFileSync(join(inMemoryOut, 'results.csv'), 'utf8'));
    expect(readdirSync(tmp)).toEqual([]);
    expect(existsSync(streamedOut)).toBe(true);
  });
});
