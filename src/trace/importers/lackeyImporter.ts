/**
 * Valgrind lackey importer: `valgrind --tool=lackey --trace-mem=yes PROGRAM`
 * prints one line per memory access (lackey's `trace_*` helpers):
 *
 *     I  0401ab70,3        instruction fetch   -> X
 *      L 1fff000768,8      load                -> R
 *      S 1fff000760,8      store               -> W
 *      M 04033e06,1        modify (load+store) -> R, then W (two rows)
 *
 * with the address in hex and the size in decimal bytes. Valgrind's own
 * `==PID==` lines, `SB` lines (`--trace-superblocks=yes`) and empty lines are
 * left out on purpose; anything else (the program's own output mixed in with
 * `2>&1`, damaged lines) is not understood.
 *
 * Lines are parsed from their bytes, without decoding them: a multi-GB log
 * imports in constant memory (the region table aside, see regionMap.ts).
 * Several programs (inputs, or copies of one with `--vcpus`) become vCPUs
 * 0, 1, ... and take turns, one access line per turn, in vCPU order; a program
 * that ends drops out of the rotation.
 */
import { Op } from '../ops.js';
import type { ImportInput, ImportProgress, ImportSink, ImportSummary } from './importTypes.js';
import type { ImportOptions } from './importOptions.js';
import { LineReader } from './lineReader.js';
import { MAX_LISTED, REGION_BYTES, RegionMap } from './regionMap.js';
import { SkipCounter } from './skipCounter.js';
import { HEX_VALUE } from './hexFields.js';

const SPACE = 0x20;
const TAB = 0x09;
const COMMA = 0x2c;
const EQUALS = 0x3d;
/** Longest address: 16 hex digits (64 bits). */
const MAX_ADDRESS_DIGITS = 16;
/** Largest access accepted: 1 GiB (so it spans at most two regions). */
const MAX_SIZE_BYTES = REGION_BYTES;
/** Regions of a 64-bit address space. */
const VIRTUAL_REGIONS = 2 ** 34;

/** Ops of each access letter; M is a load then a store. */
const OPS_BY_LETTER = new Map<number, readonly Op[]>([
  [0x49, [Op.X]],
  [0x4c, [Op.R]],
  [0x53, [Op.W]],
  [0x4d, [Op.R, Op.W]],
]);

/** Import lackey logs: one program per input, or `options.vcpus` copies of a single input. */
export async function importLackey(
  inputs: readonly ImportInput[],
  options: ImportOptions,
  sink: ImportSink,
  onProgress?: ImportProgress,
): Promise<ImportSummary> {
  const copies = options.vcpus > 0 && inputs.length === 1 ? options.vcpus : 0;
  const programInputs = copies > 0 ? Array.from({ length: copies }, () => 0) : inputs.map((_, i) => i);
  const programs = new LackeyPrograms(inputs, programInputs, new SkipCounter(options.strict), sink);
  const readers: LineReader[] = [];
  try {
    for (const program of programInputs) readers.push(await LineReader.open(inputs[program]));
    await takeTurns(readers, sink, onProgress, (program, reader) => programs.line(program, reader));
  } finally {
    for (const reader of readers) reader.close();
  }
  return {
    format: 'lackey',
    inputs: inputs.map((input) => input.name),
    lines: readers.reduce((sum, r) => sum + r.lineNo, 0),
    rows: programs.rows,
    levelEvents: 0,
    hasTime: false,
    skipped: programs.skips.list(),
    mapping: describeMapping(inputs, programInputs, programs.regions),
  };
}

/**
 * Round robin over the programs: each in turn reads up to (and including) its next access line
 * (`line` returns true for it); a program at the end of its input drops out.
 */
async function takeTurns(
  readers: readonly LineReader[],
  sink: ImportSink,
  onProgress: ImportProgress | undefined,
  line: (program: number, reader: LineReader) => boolean,
): Promise<void> {
  const totalBytes = readers.reduce((sum, r) => sum + r.totalBytes, 0);
  const done = readers.map(() => false);
  let active = readers.length;
  while (active > 0) {
    for (let program = 0; program < readers.length; program++) {
      if (done[program]) continue;
      const reader = readers[program];
      for (;;) {
        if (reader.next()) {
          if (line(program, reader)) break;
          continue;
        }
        const more = await reader.refill();
        await sink.drain?.();
        const doneBytes = readers.reduce((sum, r) => sum + r.doneBytes, 0);
        onProgress?.(doneBytes, totalBytes);
        if (!more) {
          done[program] = true;
          active--;
          break;
        }
      }
    }
  }
}

/** The access `parseAccess` read last: one object, reused, so no allocation per line. */
interface LackeyAccess {
  ops: readonly Op[];
  /** The address as two 32-bit halves (exact beyond 2^53). */
  high: number;
  low: number;
  sizeBytes: number;
}

/** What a line is when it is not an access: left out on purpose (`ignored`) or not understood (`bad`). */
interface LineSkip {
  bad: boolean;
  reason: string;
}

const ignored = (reason: string): LineSkip => ({ bad: false, reason });
const bad = (reason: string): LineSkip => ({ bad: true, reason });
const TOO_LONG = bad('line longer than 64 KiB');
const EMPTY_LINE = ignored('empty line');
const VALGRIND_MESSAGE = ignored('valgrind message (==PID==)');
const SUPERBLOCK = ignored('superblock line (SB)');
const NOT_ACCESS = bad('not a lackey access line');
const BAD_ADDRESS = bad('bad address (expected hex digits, then a comma)');
const BAD_SIZE = bad('bad size (expected decimal bytes after the comma)');
const SIZE_RANGE = bad('size out of range (1 byte to 1 GiB)');

/** Parse `buf[start, end)` as an access line into `out`; undefined when it is one, else why not. */
function parseAccess(buf: Buffer, start: number, end: number, out: LackeyAccess): LineSkip | undefined {
  // 1. The access letter, after optional blanks.
  let i = start;
  while (i < end && (buf[i] === SPACE || buf[i] === TAB)) i++;
  if (i === end) return EMPTY_LINE;
  const letter = buf[i];
  if (letter === EQUALS && i + 1 < end && buf[i + 1] === EQUALS) return VALGRIND_MESSAGE;
  if (letter === 0x53 && i + 1 < end && buf[i + 1] === 0x42 && (i + 2 === end || buf[i + 2] === SPACE)) return SUPERBLOCK;
  const ops = OPS_BY_LETTER.get(letter);
  if (ops === undefined || i + 1 >= end || buf[i + 1] !== SPACE) return NOT_ACCESS;
  i++;
  while (i < end && buf[i] === SPACE) i++;
  // 2. The address: up to 16 hex digits, read as two 32-bit halves (exact beyond 2^53).
  const digitsStart = i;
  while (i < end && HEX_VALUE[buf[i]] >= 0) i++;
  const digits = i - digitsStart;
  if (digits === 0 || digits > MAX_ADDRESS_DIGITS || i >= end || buf[i] !== COMMA) return BAD_ADDRESS;
  const lowStart = i - Math.min(8, digits);
  let high = 0;
  let low = 0;
  for (let k = digitsStart; k < lowStart; k++) high = high * 16 + HEX_VALUE[buf[k]];
  for (let k = lowStart; k < i; k++) low = low * 16 + HEX_VALUE[buf[k]];
  // 3. The size: decimal bytes, 1 to 1 GiB, then nothing but blanks.
  i++;
  const sizeStart = i;
  let size = 0;
  while (i < end && buf[i] >= 0x30 && buf[i] <= 0x39 && i - sizeStart < 11) size = size * 10 + (buf[i++] - 0x30);
  let rest = i;
  while (rest < end && (buf[rest] === SPACE || buf[rest] === TAB)) rest++;
  if (i === sizeStart || rest !== end) return BAD_SIZE;
  if (size < 1 || size > MAX_SIZE_BYTES) return SIZE_RANGE;
  out.ops = ops;
  out.high = high;
  out.low = low;
  out.sizeBytes = size;
  return undefined;
}

/** The programs of one import: their regions' GPA slots, and the rows made so far. */
class LackeyPrograms {
  readonly regions = new RegionMap();
  rows = 0;
  private readonly access: LackeyAccess = { ops: [], high: 0, low: 0, sizeBytes: 0 };

  constructor(
    private readonly inputs: readonly ImportInput[],
    /** Input of each program (vCPU). */
    private readonly programInputs: readonly number[],
    readonly skips: SkipCounter,
    private readonly sink: ImportSink,
  ) {}

  /** The reader's current line for `program`; true when it made rows. */
  line(program: number, reader: LineReader): boolean {
    const input = this.programInputs[program];
    let skip = reader.tooLong ? TOO_LONG : parseAccess(reader.buf, reader.start, reader.end, this.access);
    if (skip === undefined) {
      const unmapped = this.emit(program, input, reader.lineNo);
      if (unmapped === undefined) return true;
      skip = bad(unmapped);
    }
    if (skip.bad) this.skips.bad(skip.reason, this.inputs[input].name, reader.lineNo, () => reader.text());
    else this.skips.ignored(skip.reason);
    return false;
  }

  /**
   * 4. Region -> GPA slot; an access that crosses into the next region is split there. Returns
   * undefined once the rows are out, else why the access has no GPA.
   */
  private emit(program: number, input: number, line: number): string | undefined {
    const { ops, high, low, sizeBytes } = this.access;
    const region = high * 4 + Math.floor(low / REGION_BYTES);
    const offset = low % REGION_BYTES;
    const slot = this.regions.slot(program, region);
    const firstBytes = Math.min(sizeBytes, REGION_BYTES - offset);
    let nextSlot: number | undefined = -1;
    if (firstBytes < sizeBytes) nextSlot = region + 1 < VIRTUAL_REGIONS ? this.regions.slot(program, region + 1) : undefined;
    if (slot === undefined || nextSlot === undefined) {
      return region + 1 >= VIRTUAL_REGIONS ? 'access wraps past the 64-bit address space' : 'more 1 GiB regions than the 52-bit GPA space holds';
    }
    for (const op of ops) {
      this.sink.access(op, program, slot * REGION_BYTES + offset, firstBytes, input, line, -1);
      this.rows++;
      if (firstBytes < sizeBytes) {
        this.sink.access(op, program, nextSlot * REGION_BYTES, sizeBytes - firstBytes, input, line, -1);
        this.rows++;
      }
    }
    return undefined;
  }
}

/** Header-comment sentences: which program is which vCPU, and the region table. */
function describeMapping(inputs: readonly ImportInput[], programInputs: readonly number[], regions: RegionMap): string[] {
  // Virtual regions reach 2^34 (addresses up to 2^64): BigInt keeps the printed bounds exact.
  const virtual = (region: number, offset: bigint): string => `0x${((BigInt(region) << 30n) + offset).toString(16)}`;
  const lines = [
    programInputs.length > 1
      ? `vCPUs: ${programInputs.length} programs, vCPU k = program k, taking turns one access line at a time`
      : 'vCPUs: one program, vCPU 0',
    ...programInputs.slice(0, MAX_LISTED).map((input, vcpu) => `vCPU ${vcpu}: ${inputs[input].name}`),
    "GPA = (1 GiB slot of the program's 1 GiB virtual region, in order of first touch) + (virtual address mod 1 GiB)",
    ...regions.assigned.map(
      (a) => `vCPU ${a.program} virtual ${virtual(a.region, 0n)}-${virtual(a.region, 0x3fffffffn)} -> GPA 0x${(a.slot * REGION_BYTES).toString(16)}`,
    ),
  ];
  if (programInputs.length > MAX_LISTED) lines.push(`(${programInputs.length - MAX_LISTED} more vCPUs not listed)`);
  if (regions.size > regions.assigned.length) lines.push(`(${regions.size - regions.assigned.length} more regions not listed)`);
  return lines;
}
