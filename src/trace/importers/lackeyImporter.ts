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
  const skips = new SkipCounter(options.strict);
  const regions = new RegionMap();
  const readers: LineReader[] = [];
  let rows = 0;

  /** Parse the reader's current line for `program`; true when it made rows. */
  const handleLine = (program: number, reader: LineReader): boolean => {
    const input = programInputs[program];
    const name = inputs[input].name;
    const bad = (reason: string): false => {
      skips.bad(reason, name, reader.lineNo, () => reader.text());
      return false;
    };
    if (reader.tooLong) return bad('line longer than 64 KiB');
    const buf = reader.buf;
    const end = reader.end;
    // 1. The access letter, after optional blanks.
    let i = reader.start;
    while (i < end && (buf[i] === SPACE || buf[i] === TAB)) i++;
    if (i === end) {
      skips.ignored('empty line');
      return false;
    }
    const letter = buf[i];
    if (letter === EQUALS && i + 1 < end && buf[i + 1] === EQUALS) {
      skips.ignored('valgrind message (==PID==)');
      return false;
    }
    if (letter === 0x53 && i + 1 < end && buf[i + 1] === 0x42 && (i + 2 === end || buf[i + 2] === SPACE)) {
      skips.ignored('superblock line (SB)');
      return false;
    }
    const ops = OPS_BY_LETTER.get(letter);
    if (ops === undefined || i + 1 >= end || buf[i + 1] !== SPACE) return bad('not a lackey access line');
    i++;
    while (i < end && buf[i] === SPACE) i++;
    // 2. The address: up to 16 hex digits, read as two 32-bit halves (exact beyond 2^53).
    const digitsStart = i;
    while (i < end && HEX_VALUE[buf[i]] >= 0) i++;
    const digits = i - digitsStart;
    if (digits === 0 || digits > MAX_ADDRESS_DIGITS || i >= end || buf[i] !== COMMA) return bad('bad address (expected hex digits, then a comma)');
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
    if (i === sizeStart || rest !== end) return bad('bad size (expected decimal bytes after the comma)');
    if (size < 1 || size > MAX_SIZE_BYTES) return bad('size out of range (1 byte to 1 GiB)');
    // 4. Region -> GPA slot; an access that crosses into the next region is split there.
    const region = high * 4 + Math.floor(low / REGION_BYTES);
    const offset = low % REGION_BYTES;
    const slot = regions.slot(program, region);
    const firstBytes = Math.min(size, REGION_BYTES - offset);
    let nextSlot: number | undefined = -1;
    if (firstBytes < size) nextSlot = region + 1 < VIRTUAL_REGIONS ? regions.slot(program, region + 1) : undefined;
    if (slot === undefined || nextSlot === undefined) {
      return bad(region + 1 >= VIRTUAL_REGIONS ? 'access wraps past the 64-bit address space' : 'more 1 GiB regions than the 52-bit GPA space holds');
    }
    const line = reader.lineNo;
    for (const op of ops) {
      sink.access(op, program, slot * REGION_BYTES + offset, firstBytes, input, line, -1);
      rows++;
      if (firstBytes < size) {
        sink.access(op, program, nextSlot * REGION_BYTES, size - firstBytes, input, line, -1);
        rows++;
      }
    }
    return true;
  };

  try {
    for (const program of programInputs) readers.push(await LineReader.open(inputs[program]));
    const totalBytes = readers.reduce((sum, r) => sum + r.totalBytes, 0);
    const done = readers.map(() => false);
    let active = readers.length;
    // Round robin: each program in turn reads up to (and including) its next access line.
    while (active > 0) {
      for (let program = 0; program < readers.length; program++) {
        if (done[program]) continue;
        const reader = readers[program];
        for (;;) {
          if (reader.next()) {
            if (handleLine(program, reader)) break;
            continue;
          }
          const more = await reader.refill();
          await sink.drain?.();
          onProgress?.(readers.reduce((sum, r) => sum + r.doneBytes, 0), totalBytes);
          if (!more) {
            done[program] = true;
            active--;
            break;
          }
        }
      }
    }
  } finally {
    for (const reader of readers) reader.close();
  }

  return {
    format: 'lackey',
    inputs: inputs.map((input) => input.name),
    lines: readers.reduce((sum, r) => sum + r.lineNo, 0),
    rows,
    levelEvents: 0,
    hasTime: false,
    skipped: skips.list(),
    mapping: describeMapping(inputs, programInputs, regions),
  };
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
    'GPA = (1 GiB slot of the program\'s 1 GiB virtual region, in order of first touch) + (virtual address mod 1 GiB)',
    ...regions.assigned.map(
      (a) => `vCPU ${a.program} virtual ${virtual(a.region, 0n)}-${virtual(a.region, 0x3fffffffn)} -> GPA 0x${(a.slot * REGION_BYTES).toString(16)}`,
    ),
  ];
  if (programInputs.length > MAX_LISTED) lines.push(`(${programInputs.length - MAX_LISTED} more vCPUs not listed)`);
  if (regions.size > regions.assigned.length) lines.push(`(${regions.size - regions.assigned.length} more regions not listed)`);
  return lines;
}
