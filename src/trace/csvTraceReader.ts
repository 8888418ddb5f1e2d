/**
 * Reads trace format v1 (docs/trace-format.md) with csv-parse, streaming,
 * validating every cell and failing at the first bad one with
 * `file:line: column name: what was expected`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse } from 'csv-parse';
import { InputError, located } from '../cli/errors.js';
import { GPA_LIMIT } from '../mmu/address.js';
import { Op, isAccess, needsSlot, parseOp, OP_NAMES } from './ops.js';
import { MAX_VCPU_ID, parseAddress, parseCount } from './fieldParsers.js';
import { TraceEventsBuilder, type Trace } from './traceEvents.js';

const REQUIRED = ['vcpu', 'op', 'gpa'] as const;
const OPTIONAL = ['size', 'time'] as const;

/** Column positions found in the header; -1 when absent. */
interface Columns {
  vcpu: number;
  op: number;
  gpa: number;
  size: number;
  time: number;
  slot: number;
  /** Number of columns in the header. */
  count: number;
}

/** Short report name of a trace path: its file name without `.csv`. */
export function traceName(path: string): string {
  return basename(path).replace(/\.csv$/i, '');
}

/** Fail early, with the documented message, on a path that cannot be read as a file. */
async function checkReadable(path: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${path}: no such file`);
    if (code === 'EACCES') throw new InputError(`${path}: permission denied`);
    throw new InputError(`${path}: ${(error as Error).message}`);
  }
  if (info.isDirectory()) throw new InputError(`${path}: is a directory, not a trace file`);
}

/** Read and validate a whole CSV trace. Throws `InputError` on bad input. */
export async function readCsvTrace(path: string): Promise<Trace> {
  const builder = new TraceEventsBuilder();
  const lastTime = new Map<number, number>();
  let columns: Columns | undefined;
  let touchedEndGpa = 0;
  let declaresSlots = false;
  let maxVcpu = -1;

  await checkReadable(path);
  const input = createReadStream(path);
  const parser = input.pipe(
    parse({
      bom: true,
      comment: '#',
      comment_no_infix: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      relax_column_count: true,
    }),
  );
  // pipe() does not forward read errors: hand them to the parser, which ends the loop below.
  input.on('error', (error) => parser.destroy(error));
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (columns === undefined) {
        columns = readHeader(path, line, record);
        continue;
      }
      const fail = (column: string | undefined, message: string): never => {
        throw new InputError(located(path, line, column, message));
      };
      if (record.length !== columns.count) {
        fail(undefined, `expected ${columns.count} columns as in the header, found ${record.length}`);
      }
      const vcpu = parseCount(record[columns.vcpu], 'vCPU id', MAX_VCPU_ID);
      if (typeof vcpu === 'string') fail('vcpu', vcpu as string);
      const op = parseOp(record[columns.op]);
      if (op === undefined) fail('op', `"${record[columns.op]}" is not one of ${OP_NAMES.filter(Boolean).join(', ')}`);
      const gpa = parseAddress(record[columns.gpa], 'address');
      if (typeof gpa === 'string') fail('gpa', gpa as string);
      let size = 1;
      if (columns.size >= 0 && record[columns.size] !== '') {
        const parsed = parseAddress(record[columns.size], 'size');
        if (typeof parsed === 'string') fail('size', parsed as string);
        size = parsed as number;
      } else if (!isAccess(op as Op) && op !== Op.SLOT_DEL && op !== Op.DIRTY_LOG_ON && op !== Op.DIRTY_LOG_OFF) {
        fail('size', `${OP_NAMES[op as Op]} needs a size in bytes`);
      }
      checkRange(op as Op, gpa as number, size, fail);
      let time = 0;
      if (columns.time >= 0) {
        const parsed = parseCount(record[columns.time], 'time', Number.MAX_SAFE_INTEGER);
        if (typeof parsed === 'string') fail('time', parsed as string);
        time = parsed as number;
        const previous = lastTime.get(vcpu as number);
        if (previous !== undefined && time < previous) {
          fail('time', `${time} is earlier than ${previous}, the previous time of vCPU ${vcpu}`);
        }
        lastTime.set(vcpu as number, time);
      }
      let slot = -1;
      if (needsSlot(op as Op)) {
        if (columns.slot < 0) fail('x_slot', `${OP_NAMES[op as Op]} needs an x_slot column naming the memslot`);
        const parsed = parseCount(record[columns.slot], 'memslot id', 32767);
        if (typeof parsed === 'string') fail('x_slot', parsed as string);
        slot = parsed as number;
      }
      if (op === Op.SLOT_ADD) declaresSlots = true;
      else if (op !== Op.SLOT_DEL && op !== Op.DIRTY_LOG_ON && op !== Op.DIRTY_LOG_OFF) {
        touchedEndGpa = Math.max(touchedEndGpa, Math.min(GPA_LIMIT, (gpa as number) + Math.max(size, 1)));
      }
      maxVcpu = Math.max(maxVcpu, vcpu as number);
      builder.push(op as Op, vcpu as number, gpa as number, size, slot, line, time);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const err = error as NodeJS.ErrnoException & { lines?: number };
    if (err.code === 'ENOENT') throw new InputError(`${path}: no such file`);
    if (err.code === 'EISDIR') throw new InputError(`${path}: is a directory, not a trace file`);
    if (err.code === 'EACCES') throw new InputError(`${path}: permission denied`);
    if (typeof err.lines === 'number') throw new InputError(located(path, err.lines, undefined, err.message));
    throw new InputError(`${path}: ${err.message}`);
  }
  if (columns === undefined) throw new InputError(`${path}:1: empty trace: expected a header row "vcpu,op,gpa[,size][,time]"`);
  return {
    path,
    name: traceName(path),
    events: builder.finish(columns.time >= 0),
    vcpuCount: maxVcpu + 1,
    touchedEndGpa,
    declaresSlots,
  };
}

function readHeader(path: string, line: number, header: string[]): Columns {
  const columns: Columns = { vcpu: -1, op: -1, gpa: -1, size: -1, time: -1, slot: -1, count: header.length };
  const known = new Set<string>([...REQUIRED, ...OPTIONAL]);
  header.forEach((raw, index) => {
    const name = raw.toLowerCase();
    if (!known.has(name) && !name.startsWith('x_')) {
      throw new InputError(
        located(path, line, raw, `unknown column (expected ${[...REQUIRED, ...OPTIONAL].join(', ')}, or an x_ prefix for extras)`),
      );
    }
    const key = name === 'x_slot' ? 'slot' : name;
    if (key !== 'count' && key in columns) {
      const byName = columns as unknown as Record<string, number>;
      if (byName[key] >= 0) throw new InputError(located(path, line, raw, 'appears twice in the header'));
      byName[key] = index;
    }
  });
  for (const name of REQUIRED) {
    if (columns[name] < 0) {
      throw new InputError(located(path, line, name, `missing from the header (required: ${REQUIRED.join(', ')})`));
    }
  }
  return columns;
}

/** Range checks that make a row impossible, whatever the scenario. */
function checkRange(op: Op, gpa: number, size: number, fail: (column: string, message: string) => never): void {
  if (op === Op.PREFAULT) return; // bad pre-fault ranges are the model's EINVAL, not bad input
  if (isAccess(op) || op === Op.UNMAP || op === Op.WRPROTECT || op === Op.SLOT_ADD || op === Op.SET_PRIVATE || op === Op.SET_SHARED) {
    if (size === 0) fail('size', `${OP_NAMES[op]} needs a size of at least 1 byte`);
    if (gpa + size > GPA_LIMIT) fail('size', `gpa + size is beyond the 52-bit address limit`);
  }
  if (op === Op.SLOT_ADD && (gpa % 4096 !== 0 || size % 4096 !== 0)) {
    fail(gpa % 4096 !== 0 ? 'gpa' : 'size', 'a memslot must start and end on a 4 KiB boundary');
  }
}
