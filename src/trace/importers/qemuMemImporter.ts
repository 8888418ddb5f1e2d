/**
 * QEMU `mem` plugin importer: the CSV that QEMU's test plugin
 * `tests/plugin/mem.c` prints with `print-accesses=true` (QEMU 9.1+), one
 * line per guest memory access, after the header line
 * `insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value`.
 * Its `print_access` callback formats each line as
 *
 *     "0x%" PRIx64 ",%s,0x%" PRIx64 ",0x%" PRIx64 ",%d,%s," VALUE "\n"
 *
 * from the instruction's virtual address, its symbol (`""` when unknown),
 * the access's virtual address, `qemu_plugin_hwaddr_phys_addr` (the
 * guest-physical address in system emulation), `8 << size_shift` (the size
 * in **bits**), `store` or `load`, and the value (`0x` and 2, 4, 8, 16 or 32
 * hex digits). So:
 *
 *     0xffffffff81000e2c,memset,0xffff888003a00000,0x3a00000,64,store,0x0000000000000000
 *       -> W of 8 bytes at GPA 0x3a00000
 *
 * 1. Fields are found from both ends: the first comma ends `insn_vaddr`,
 *    the last five commas start the five fixed fields, and the symbol is
 *    what lies between (so a symbol with a comma still parses).
 * 2. `mem_hwaddr` is the row's GPA, `access_size / 8` its size in bytes,
 *    `load` an R and `store` a W. The plugin prints no vCPU index and no
 *    instruction fetches: every row is vCPU 0, and there are no X rows.
 * 3. The header line, empty lines and the plugin's end-of-run summary lines
 *    (`mem accesses: N`, `io accesses: N`, the `region-summary` table and its
 *    `Warning: ...` lines) are left out; anything else is not understood.
 *
 * Lines are parsed from their bytes, without decoding them (a boot prints
 * hundreds of millions of lines). Several inputs are read one after the
 * other as one capture.
 */
import { Op } from '../ops.js';
import { GPA_LIMIT } from '../../mmu/address.js';
import type { ImportInput, ImportProgress, ImportSink, ImportSummary } from './importTypes.js';
import type { ImportOptions } from './importOptions.js';
import { type LineReader, readInputsInTurn } from './lineReader.js';
import { SkipCounter } from './skipCounter.js';
import { HEX_TOO_LARGE, HEX_VALUE, NOT_HEX, hexBytes } from './hexFields.js';

/** The header `print-accesses=true` prints first. */
export const QEMU_MEM_HEADER = 'insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value';
const HEADER_BYTES = Buffer.from(QEMU_MEM_HEADER, 'latin1');
/** Lines of the plugin's `plugin_exit` summary (counts, and `region-summary=true`'s table). */
const SUMMARY_LINE =
  /^(?:mem accesses: \d+|io accesses: \d+|Region Base, Reads, Writes, Seen all|0x[0-9a-f]{16}, \d+, \d+, (?:true|false)|Warning: 0x[0-9a-f]{16}:\d+ read an un-instrumented value)$/;

const COMMA = 0x2c;
const ZERO = 0x30;
const X = 0x78;
const LOAD = Buffer.from('load', 'latin1');
const STORE = Buffer.from('store', 'latin1');
/** `access_size` in bits -> bytes; the plugin prints 8 << size_shift, size_shift 0..4. */
const BYTES_OF_BITS = new Map<number, number>([
  [8, 1],
  [16, 2],
  [32, 4],
  [64, 8],
  [128, 16],
]);

/** The value of `buf[start, end)` when it is `0x` and 1 to 16 hex digits below 2^52, else a `hexBytes` error code. */
function prefixedHex(buf: Uint8Array, start: number, end: number): number {
  if (end - start < 3 || buf[start] !== ZERO || buf[start + 1] !== X) return NOT_HEX;
  return hexBytes(buf, start + 2, end);
}

function bytesEqual(buf: Uint8Array, start: number, end: number, word: Buffer): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (buf[start + k] !== word[k]) return false;
  return true;
}

/** A decoded access line; one object is reused for every line (no allocation per line). */
interface MemAccess {
  op: Op;
  gpa: number;
  sizeBytes: number;
}

const NOT_ACCESS = 'not a mem plugin access line (expected 7 comma-separated fields)';
const SUMMARY_REASON = 'plugin summary line';

/** Why the reader's line is left out without being an access (empty, header, summary), or undefined. */
function nonAccessReason(reader: LineReader): string | undefined {
  const { buf, start, end } = reader;
  if (start === end) return 'empty line';
  if (bytesEqual(buf, start, end, HEADER_BYTES)) return 'header line';
  // Access lines start with `0x`: only other lines are decoded for the regex.
  if (buf[start] !== ZERO && SUMMARY_LINE.test(reader.text())) return SUMMARY_REASON;
  return undefined;
}

/**
 * Decode the access line `buf[start, end)` into `out`; returns why it is not
 * understood, or undefined. `commas` receives the positions of the last five
 * commas (before mem_vaddr, mem_hwaddr, access_size, access_type, mem_value).
 */
function parseAccess(buf: Uint8Array, start: number, end: number, commas: Int32Array, out: MemAccess): string | undefined {
  // 1. The first comma, and the last five, found from the end.
  const first = buf.indexOf(COMMA, start);
  let found = 0;
  for (let k = end - 1; k > first && found < 5; k--) {
    if (buf[k] === COMMA) commas[5 - ++found] = k;
  }
  // indexOf may find a comma of a later line: `first >= end` means this line has none.
  if (first < 0 || first >= end || found < 5) return NOT_ACCESS;
  // 2. The fields, left to right.
  if (prefixedHex(buf, start, first) === NOT_HEX) return 'bad insn_vaddr (expected 0x and hex digits)';
  if (prefixedHex(buf, commas[0] + 1, commas[1]) === NOT_HEX) return 'bad mem_vaddr (expected 0x and hex digits)';
  const gpa = prefixedHex(buf, commas[1] + 1, commas[2]);
  if (gpa === NOT_HEX) return 'bad mem_hwaddr (expected 0x and hex digits)';
  if (gpa === HEX_TOO_LARGE) return 'mem_hwaddr at or beyond 2^52';
  const sizeBytes = BYTES_OF_BITS.get(decimalBytes(buf, commas[2] + 1, commas[3]));
  if (sizeBytes === undefined) return 'bad access_size (expected 8, 16, 32, 64 or 128 bits)';
  const op = bytesEqual(buf, commas[3] + 1, commas[4], STORE) ? Op.W : bytesEqual(buf, commas[3] + 1, commas[4], LOAD) ? Op.R : 0;
  if (op === 0) return 'bad access_type (expected load or store)';
  if (!validValue(buf, commas[4] + 1, end)) return 'bad mem_value (expected 0x and 2 to 32 hex digits)';
  if (gpa + sizeBytes > GPA_LIMIT) return 'mem_hwaddr + size beyond 2^52';
  out.op = op;
  out.gpa = gpa;
  out.sizeBytes = sizeBytes;
  return undefined;
}

/** Import QEMU mem plugin output: every input in turn, one capture. */
export async function importQemuMem(
  inputs: readonly ImportInput[],
  options: ImportOptions,
  sink: ImportSink,
  onProgress?: ImportProgress,
): Promise<ImportSummary> {
  const skips = new SkipCounter(options.strict);
  const commas = new Int32Array(5);
  const access: MemAccess = { op: Op.R, gpa: 0, sizeBytes: 1 };
  let rows = 0;
  const lines = await readInputsInTurn(inputs, sink, onProgress, (reader, inputIndex, file) => {
    const bad = (reason: string): void => skips.bad(reason, file, reader.lineNo, () => reader.text());
    if (reader.tooLong) {
      bad('line longer than 64 KiB');
      return;
    }
    // 1. Lines that are not accesses, then the access's fields.
    const ignored = nonAccessReason(reader);
    if (ignored !== undefined) {
      skips.ignored(ignored);
      return;
    }
    const problem = parseAccess(reader.buf, reader.start, reader.end, commas, access);
    if (problem !== undefined) {
      // A summary line that starts like an access (the region table's `0x...` rows) has too few fields.
      if (problem === NOT_ACCESS && SUMMARY_LINE.test(reader.text())) skips.ignored(SUMMARY_REASON);
      else bad(problem);
      return;
    }
    sink.access(access.op, 0, access.gpa, access.sizeBytes, inputIndex, reader.lineNo, -1);
    rows++;
  });
  return {
    format: 'qemu-mem',
    inputs: inputs.map((input) => input.name),
    lines,
    rows,
    levelEvents: 0,
    hasTime: false,
    skipped: skips.list(),
    mapping: [
      'GPA = mem_hwaddr (qemu_plugin_hwaddr_phys_addr); size = access_size / 8 bytes; load -> R, store -> W',
      'vCPU: 0 for every row (the plugin prints no vCPU index); no instruction fetches (the plugin prints data accesses only)',
    ],
  };
}

/** `mem_value`: `0x` and 2 to 32 hex digits (the value itself is not used). */
function validValue(buf: Uint8Array, start: number, end: number): boolean {
  const digits = end - start - 2;
  if (digits < 2 || digits > 32 || buf[start] !== ZERO || buf[start + 1] !== X) return false;
  for (let k = start + 2; k < end; k++) if (HEX_VALUE[buf[k]] < 0) return false;
  return true;
}

/** The decimal value of 1 to 3 digits `buf[start, end)`, or -1. */
function decimalBytes(buf: Uint8Array, start: number, end: number): number {
  if (end - start < 1 || end - start > 3) return -1;
  let value = 0;
  for (let k = start; k < end; k++) {
    const d = buf[k] - ZERO;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}
