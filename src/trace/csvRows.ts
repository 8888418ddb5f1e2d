/**
 * The rules of a CSV trace's rows (trace format v1, docs/trace-format.md),
 * once for every parser: the header (`readHeader`), the cells of a row given
 * as strings (`CsvRowChecker.accept`, csv-parse records and the byte
 * parser's rare rows) and the same checks on an access row the byte parser
 * parsed itself (`CsvRowChecker.acceptAccess`). The first bad cell throws `InputError`
 * `file:line: column name: what was expected`.
 *
 * Accepted rows go to `events` (a `TraceEventsBuilder` the caller may clear
 * between chunks); what a run needs up front (vCPU count, touched end,
 * memslot rows, whether times ever go down in file order) accumulates here.
 */
import { InputError, located } from '../errors.js';
import { GPA_LIMIT } from '../mmu/address.js';
import { Op, isAccess, needsSlot, parseOp, sizeOptional, OP_NAMES } from './ops.js';
import { MAX_VCPU_ID, parseAddress, parseCount } from './fieldParsers.js';
import { TraceEventsBuilder } from './traceEvents.js';
import { countsForTouchedEnd, eventEndGpa } from './touchedEnd.js';
import { AT_VARIANT_NAMES, parseAtVariant } from './atVariant.js';

const REQUIRED = ['vcpu', 'op', 'gpa'] as const;
const OPTIONAL = ['size', 'time'] as const;
const OP_LIST = OP_NAMES.filter(Boolean).join(', ');
/** Largest memslot id accepted in `x_slot`. */
const MAX_SLOT_ID = 32767;

/** Column positions found in the header; -1 when absent. */
export interface Columns {
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

/** What the rows of a whole file say about the trace (`CsvRowChecker.summary`). */
export interface CsvSummary {
  /** Rows accepted (events). */
  count: number;
  vcpuCount: number;
  touchedEndGpa: number;
  declaresSlots: boolean;
  /** True when the header has a `time` column. */
  timed: boolean;
  /** True when times never go down in file order: the (time, file order) sort is then the identity. */
  timesAscending: boolean;
}

/** Validates rows one by one into `events`; throws `InputError` at the first bad cell. */
export class CsvRowChecker {
  /** Accepted events since the caller last cleared it (with their times). */
  readonly events = new TraceEventsBuilder();
  /** The header's columns, once its row has been accepted. */
  columns: Columns | undefined;
  /** Rows accepted in all. */
  total = 0;
  /** True once the header has a `time` column. */
  timed = false;
  /** False for a checking pass: rows are checked and counted, not kept in `events`. */
  keep = true;
  /** Last time seen per vCPU id, -1 before the first (times are ≥ 0). */
  private readonly lastTime = new Float64Array(MAX_VCPU_ID + 1).fill(-1);
  private lastAnyTime = 0;
  /** False once a row's time is below an earlier row's (the trace must then be sorted: it cannot stream). */
  timesAscending = true;
  private touchedEndGpa = 0;
  private declaresSlots = false;
  private maxVcpu = -1;

  constructor(readonly path: string) {}

  private fail(line: number, column: string | undefined, message: string): never {
    throw new InputError(located(this.path, line, column, message));
  }

  /** One record (the header first), ending on physical line `line`. */
  accept(record: string[], line: number): void {
    const columns = this.columns;
    if (columns === undefined) {
      this.columns = readHeader(this.path, line, record);
      this.timed = this.columns.time >= 0;
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
      this.checkTime(line, vcpu, time);
    }
    let slot = -1;
    if (needsSlot(op)) {
      if (columns.slot < 0) this.fail(line, 'x_slot', `${OP_NAMES[op]} needs an x_slot column naming the memslot`);
      const parsed = parseCount(record[columns.slot], 'memslot id', MAX_SLOT_ID);
      if (typeof parsed === 'string') this.fail(line, 'x_slot', parsed);
      slot = parsed;
    }
    if (op === Op.AT) slot = this.atVariant(line, record, columns);
    this.take(line, op, vcpu, gpa, size, slot, time);
  }

  /**
   * An access row (R, W or X) whose cells parsed (the byte parser's fast
   * rows, no x_slot or x_at): `accept`'s checks for such a row, then the row
   * is taken, inline (this runs once per row of multi-million-row traces).
   */
  acceptAccess(line: number, op: Op, vcpu: number, gpa: number, size: number, time: number): void {
    const end = gpa + size;
    if (size === 0 || end > GPA_LIMIT) this.checkRange(line, op, gpa, size); // throws the message
    if (this.timed) this.checkTime(line, vcpu, time);
    if (end > this.touchedEndGpa) this.touchedEndGpa = end; // size ≥ 1 and end ≤ GPA_LIMIT: eventEndGpa's end, inline (the CSV fast path)
    if (vcpu > this.maxVcpu) this.maxVcpu = vcpu;
    this.total++;
    if (this.keep) this.events.push(op, vcpu, gpa, size, -1, line, time);
  }

  /** A checked row: the trace's facts, then the event. */
  private take(line: number, op: Op, vcpu: number, gpa: number, size: number, slot: number, time: number): void {
    if (op === Op.SLOT_ADD) this.declaresSlots = true;
    if (countsForTouchedEnd(op)) {
      const end = eventEndGpa(gpa, size);
      if (end > this.touchedEndGpa) this.touchedEndGpa = end;
    }
    if (vcpu > this.maxVcpu) this.maxVcpu = vcpu;
    this.total++;
    if (this.keep) this.events.push(op, vcpu, gpa, size, slot, line, time);
  }

  /** Times never go down per vCPU; notes whether they ever go down in file order. */
  private checkTime(line: number, vcpu: number, time: number): void {
    const previous = this.lastTime[vcpu];
    if (previous >= 0 && time < previous) {
      this.fail(line, 'time', `${time} is earlier than ${previous}, the previous time of vCPU ${vcpu}`);
    }
    this.lastTime[vcpu] = time;
    if (time < this.lastAnyTime) this.timesAscending = false;
    this.lastAnyTime = time;
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

  /** The trace's facts once every row has been accepted; throws for a file without a header. */
  summary(): CsvSummary {
    const columns = this.columns;
    if (columns === undefined) throw new InputError(`${this.path}:1: empty trace: expected a header row "vcpu,op,gpa[,size][,time]"`);
    return {
      count: this.total,
      vcpuCount: this.maxVcpu + 1,
      touchedEndGpa: this.touchedEndGpa,
      declaresSlots: this.declaresSlots,
      timed: columns.time >= 0,
      timesAscending: this.timesAscending,
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
