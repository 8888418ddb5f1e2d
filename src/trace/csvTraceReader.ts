/**
 * Reads trace format v1 (docs/trace-format.md) with csv-parse, streaming,
 * validating every cell and failing at the first bad one with
 * `file:line: column name: what was expected`.
 *
 * Speed: csv-parse's record objects are never queued on its readable side.
 * `RecordSink` takes each record in `push`, synchronously, while the parser's
 * documented `info.lines` is still the record's physical line (what the
 * per-record `info: true` object used to carry, without allocating it), and
 * the row goes straight into typed columns. Plain files (most traces) skip
 * csv-parse for a faster exact equivalent (plainCsv.ts). Bench: `npm run
 * bench`, "CSV ingest".
 */
import { createReadStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { basename } from 'node:path';
import { Parser, type Options } from 'csv-parse';
import { InputError, located } from '../errors.js';
import { GPA_LIMIT } from '../mmu/address.js';
import { Op, isAccess, needsSlot, parseOp, sizeOptional, OP_NAMES } from './ops.js';
import { MAX_VCPU_ID, parseAddress, parseCount } from './fieldParsers.js';
import { TraceEventsBuilder, type Trace } from './traceEvents.js';
import { AT_VARIANT_NAMES, parseAtVariant } from './atVariant.js';
import { readPlainCsv } from './plainCsv.js';
import { fileError } from './fileError.js';

const REQUIRED = ['vcpu', 'op', 'gpa'] as const;
const OPTIONAL = ['size', 'time'] as const;
const OP_LIST = OP_NAMES.filter(Boolean).join(', ');
/** Largest memslot id accepted in `x_slot`. */
const MAX_SLOT_ID = 32767;
/** Bytes per read from the file; csv-parse gets them one block at a time. */
const READ_BLOCK_BYTES = 1 << 20;

/** The csv-parse options of trace format v1 (docs/trace-format.md "File rules"). */
const CSV_OPTIONS: Options = {
  bom: true,
  comment: '#',
  comment_no_infix: true,
  skip_empty_lines: true,
  trim: true,
  relax_column_count: true,
};

/** Column positions found in the header; -1 when absent. */
interface Columns {
  vcpu: number;
  op: number;
  gpa: number;
  size: number;
  time: number;
  slot: number;
  /** `x_at`: the variant of AT rows. */
  at: number;
  /** Number of columns in the header. */
  count: number;
}

/** Short report name of a trace path: its file name without `.csv`. */
export function traceName(path: string): string {
  return basename(path).replace(/\.csv$/i, '');
}

/**
 * A csv-parse `Parser` that hands every record to `onRecord` with its line
 * number instead of queueing it. csv-parse pushes each record synchronously
 * while parsing a block, so `info.lines` is the line the record ends on. The
 * first exception from `onRecord` is kept in `failure` and later records are
 * dropped; the driver stops feeding blocks once it is set.
 */
class RecordSink extends Parser {
  failure: unknown = undefined;

  constructor(private readonly onRecord: (record: string[], line: number) => void) {
    super(CSV_OPTIONS);
  }

  override push(record: unknown): boolean {
    if (record === null) return super.push(null);
    if (this.failure === undefined) {
      try {
        this.onRecord(record as string[], this.info.lines);
      } catch (error) {
        this.failure = error;
      }
    }
    return true;
  }
}

/**
 * Read and validate a whole CSV trace. Throws `InputError` on bad input.
 * Plain files take the fast path (plainCsv.ts); any other file, and every
 * file error, goes through csv-parse.
 */
export async function readCsvTrace(path: string): Promise<Trace> {
  const fast = new RowValidator(path);
  if (await readPlainCsv(path, (record, line) => fast.accept(record, line))) return fast.finish();
  return readWithCsvParse(path);
}

/** `readCsvTrace` through csv-parse: every CSV feature, every message. */
export async function readWithCsvParse(path: string): Promise<Trace> {
  const rows = new RowValidator(path);
  const sink = new RecordSink((record, line) => rows.accept(record, line));
  sink.resume(); // nothing is queued, but the readable side must flow to emit 'end'
  const done = finished(sink);
  done.catch(() => undefined); // awaited below; an early error must not go unhandled
  try {
    // 1. Feed the file block by block; stop at the first bad row.
    for await (const block of createReadStream(path, { highWaterMark: READ_BLOCK_BYTES })) {
      sink.write(block);
      if (sink.failure !== undefined || sink.destroyed) break; // destroyed: csv-parse's own error, which `done` rejects with
    }
    // 2. Flush the last line (a file need not end with a newline) and wait for csv-parse.
    if (sink.failure === undefined) {
      if (!sink.destroyed) sink.end();
      await done;
    }
    if (sink.failure !== undefined) throw sink.failure;
  } catch (error) {
    sink.destroy();
    if (error instanceof InputError) throw error;
    const err = error as NodeJS.ErrnoException & { lines?: number };
    // csv-parse's own errors carry the line; file-system errors do not.
    if (typeof err.lines === 'number') throw new InputError(located(path, err.lines, undefined, err.message));
    throw fileError(path, err);
  }
  return rows.finish();
}

/** Validates rows one by one into typed columns; throws `InputError` at the first bad cell. */
class RowValidator {
  private readonly builder = new TraceEventsBuilder();
  /** Last time seen per vCPU id, -1 before the first (times are ≥ 0). */
  private readonly lastTime = new Float64Array(MAX_VCPU_ID + 1).fill(-1);
  private columns: Columns | undefined;
  private touchedEndGpa = 0;
  private declaresSlots = false;
  private maxVcpu = -1;

  constructor(private readonly path: string) {}

  private fail(line: number, column: string | undefined, message: string): never {
    throw new InputError(located(this.path, line, column, message));
  }

  /** One record of csv-parse, ending on physical line `line`. */
  accept(record: string[], line: number): void {
    const columns = this.columns;
    if (columns === undefined) {
      this.columns = readHeader(this.path, line, record);
      return;
    }
    if (record.length !== columns.count) {
      this.fail(line, undefined, `expected ${columns.count} columns as in the header, found ${record.length}`);
    }
    const vcpu = parseCount(record[columns.vcpu], 'vCPU id', MAX_VCPU_ID);
    if (typeof vcpu === 'string') this.fail(line, 'vcpu', vcpu);
    const op = parseOp(record[columns.op]);
    if (op === undefined) this.fail(line, 'op', `"${record[columns.op]}" is not one of ${OP_LIST}`);
    const gpa = parseAddress(record[columns.gpa], 'address');
    if (typeof gpa === 'string') this.fail(line, 'gpa', gpa);
    let size = 1;
    if (columns.size >= 0 && record[columns.size] !== '') {
      const parsed = parseAddress(record[columns.size], 'size');
      if (typeof parsed === 'string') this.fail(line, 'size', parsed);
      size = parsed;
    } else if (!sizeOptional(op)) {
      this.fail(line, 'size', `${OP_NAMES[op]} needs a size in bytes`);
    }
    this.checkRange(line, op, gpa, size);
    let time = 0;
    if (columns.time >= 0) {
      const parsed = parseCount(record[columns.time], 'time', Number.MAX_SAFE_INTEGER);
      if (typeof parsed === 'string') this.fail(line, 'time', parsed);
      time = parsed;
      const previous = this.lastTime[vcpu];
      if (previous >= 0 && time < previous) {
        this.fail(line, 'time', `${time} is earlier than ${previous}, the previous time of vCPU ${vcpu}`);
      }
      this.lastTime[vcpu] = time;
    }
    let slot = -1;
    if (needsSlot(op)) {
      if (columns.slot < 0) this.fail(line, 'x_slot', `${OP_NAMES[op]} needs an x_slot column naming the memslot`);
      const parsed = parseCount(record[columns.slot], 'memslot id', MAX_SLOT_ID);
      if (typeof parsed === 'string') this.fail(line, 'x_slot', parsed);
      slot = parsed;
    }
    if (op === Op.AT) slot = this.atVariant(line, record, columns);
    if (op === Op.SLOT_ADD) this.declaresSlots = true;
    else if (op !== Op.SLOT_DEL && op !== Op.DIRTY_LOG_ON && op !== Op.DIRTY_LOG_OFF) {
      // As replayCell's touchedEndWithout: DIRTY_LOG_GET/CLEAR count (their range lies in a slot anyway).
      const end = Math.min(GPA_LIMIT, gpa + Math.max(size, 1));
      if (end > this.touchedEndGpa) this.touchedEndGpa = end;
    }
    if (vcpu > this.maxVcpu) this.maxVcpu = vcpu;
    this.builder.push(op, vcpu, gpa, size, slot, line, time);
  }

  /** The `x_at` cell of an AT row, as an `AtVariant` (stored in the event's slot field). */
  private atVariant(line: number, record: string[], columns: Columns): number {
    if (columns.at < 0) this.fail(line, 'x_at', 'AT needs an x_at column naming the variant');
    const variant = parseAtVariant(record[columns.at]);
    if (variant === undefined) this.fail(line, 'x_at', `"${record[columns.at]}" is not one of ${AT_VARIANT_NAMES.join(', ')}`);
    return variant;
  }

  /** Range checks that make a row impossible, whatever the scenario. */
  private checkRange(line: number, op: Op, gpa: number, size: number): void {
    if (op === Op.PREFAULT) return; // bad pre-fault ranges are the model's EINVAL, not bad input
    if (
      isAccess(op) ||
      op === Op.UNMAP ||
      op === Op.WRPROTECT ||
      op === Op.SLOT_ADD ||
      op === Op.SLOT_MOVE ||
      op === Op.SET_PRIVATE ||
      op === Op.SET_SHARED ||
      op === Op.DIRTY_LOG_CLEAR ||
      op === Op.GMEM_PUNCH_HOLE ||
      op === Op.AGE
    ) {
      if (size === 0) this.fail(line, 'size', `${OP_NAMES[op]} needs a size of at least 1 byte`);
      if (gpa + size > GPA_LIMIT) this.fail(line, 'size', `gpa + size is beyond the 52-bit address limit`);
    }
    if ((op === Op.SLOT_ADD || op === Op.SLOT_MOVE) && (gpa % 4096 !== 0 || size % 4096 !== 0)) {
      this.fail(line, gpa % 4096 !== 0 ? 'gpa' : 'size', 'a memslot must start and end on a 4 KiB boundary');
    }
  }

  /** The trace, once every record has been accepted. */
  finish(): Trace {
    const path = this.path;
    if (this.columns === undefined) throw new InputError(`${path}:1: empty trace: expected a header row "vcpu,op,gpa[,size][,time]"`);
    return {
      path,
      name: traceName(path),
      events: this.builder.finish(this.columns.time >= 0),
      vcpuCount: this.maxVcpu + 1,
      touchedEndGpa: this.touchedEndGpa,
      declaresSlots: this.declaresSlots,
    };
  }
}

function readHeader(path: string, line: number, header: string[]): Columns {
  const columns: Columns = { vcpu: -1, op: -1, gpa: -1, size: -1, time: -1, slot: -1, at: -1, count: header.length };
  const known = new Set<string>([...REQUIRED, ...OPTIONAL]);
  header.forEach((raw, index) => {
    const name = raw.toLowerCase();
    if (!known.has(name) && !name.startsWith('x_')) {
      throw new InputError(located(path, line, raw, `unknown column (expected ${[...REQUIRED, ...OPTIONAL].join(', ')}, or an x_ prefix for extras)`));
    }
    const key = name === 'x_slot' ? 'slot' : name === 'x_at' ? 'at' : name;
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
