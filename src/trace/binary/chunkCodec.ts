/**
 * Encodes and decodes one `.mtr` chunk (layout in mtrFormat.ts), and the
 * value checks both directions share. Decoding a raw column is a view over
 * the payload (no copy); an arithmetic column is a `fill` or one loop. No
 * allocation per event.
 */
import { GPA_LIMIT } from '../../mmu/address.js';
import { OP_NAMES, Op, isOpCode, needsSlot } from '../ops.js';
import { AT_VARIANT_NAMES, MAX_AT_VARIANT } from '../atVariant.js';
import type { TraceEvents } from '../traceEvents.js';
import { eventEndGpa, firstEventBeyond, sizesValidWithin } from '../touchedEnd.js';
import { CHUNK_HEADER_BYTES, CHUNK_OFFSET, CHUNK_TAG, COLUMNS, ColumnMode, HEADER_OFFSET, align8, payloadBytes, type ColumnKey } from './mtrFormat.js';

/** Event columns without the count: a trace's arrays, or a writer's staging arrays. */
export type EventColumns = Omit<TraceEvents, 'count'>;

type ColumnArray = EventColumns[ColumnKey];
type ColumnConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ColumnArray;

const CONSTRUCTORS: Record<ColumnKey, ColumnConstructor> = {
  gpa: Float64Array,
  sizeBytes: Float64Array,
  slot: Int32Array,
  line: Uint32Array,
  vcpu: Uint16Array,
  op: Uint8Array,
};

/** Highest op code defined (`Op.AT` today; some codes below it are reserved, see `isOpCode`). */
const MAX_OP = OP_NAMES.length - 1;
/** Largest memslot id (as the CSV `x_slot` column). */
const MAX_SLOT_ID = 32767;

/** What a chunk header says. */
export interface ChunkHeader {
  count: number;
  payloadBytes: number;
  modes: number[];
  /** Per column, in COLUMNS order: first value and step of an arithmetic column (0, 0 when raw). */
  first: number[];
  step: number[];
}

/**
 * Encode events [start, start + count) of `src` as one chunk into `target`
 * (which must hold CHUNK_HEADER_BYTES + 27 * count bytes); returns the chunk's
 * length in bytes.
 */
export function encodeChunk(src: EventColumns, start: number, count: number, target: ArrayBuffer): number {
  const header = new DataView(target, 0, CHUNK_HEADER_BYTES);
  new Uint8Array(target, 0, CHUNK_HEADER_BYTES).fill(0);
  let offset = CHUNK_HEADER_BYTES;
  COLUMNS.forEach((column, index) => {
    const values = src[column.key];
    const descriptor = CHUNK_OFFSET.arithmetic + index * 16;
    const step = values instanceof Float64Array ? arithmeticStep(values, start, count) : arithmeticStep(asDoubles(values, start, count), 0, count);
    if (step !== undefined) {
      header.setUint8(CHUNK_OFFSET.modes + index, ColumnMode.ARITHMETIC);
      header.setFloat64(descriptor, values[start], true);
      header.setFloat64(descriptor + 8, step, true);
      return;
    }
    header.setUint8(CHUNK_OFFSET.modes + index, ColumnMode.RAW);
    const Ctor = CONSTRUCTORS[column.key];
    new Ctor(target, offset, count).set(values.subarray(start, start + count) as never);
    const padded = align8(count * column.bytes);
    new Uint8Array(target, offset + count * column.bytes, padded - count * column.bytes).fill(0);
    offset += padded;
  });
  header.setUint32(CHUNK_OFFSET.tag, CHUNK_TAG, true);
  header.setUint32(CHUNK_OFFSET.count, count, true);
  header.setUint32(CHUNK_OFFSET.payloadBytes, offset - CHUNK_HEADER_BYTES, true);
  return offset;
}

/** `asDoubles`' reused array (grown to the largest chunk encoded). */
let doubles = new Float64Array(0);

/**
 * Values [start, start + count) of an integer column as doubles (a native
 * typed-array copy), so that `arithmeticStep`'s loop sees one array type:
 * fed all six column types, its element loads went megamorphic and took
 * longer than the CSV parse of the same events.
 */
function asDoubles(values: Exclude<ColumnArray, Float64Array>, start: number, count: number): Float64Array {
  if (doubles.length < count) doubles = new Float64Array(count);
  doubles.set(values.subarray(start, start + count));
  return doubles;
}

/** The step when values[start + i] === values[start] + i * step for the whole range, else undefined. */
function arithmeticStep(values: Float64Array, start: number, count: number): number | undefined {
  const first = values[start];
  const step = count > 1 ? values[start + 1] - first : 0;
  if (!Number.isFinite(step)) return undefined;
  for (let i = 2; i < count; i++) if (values[start + i] !== first + i * step) return undefined;
  return step;
}

/**
 * Parse the chunk header at `view` (CHUNK_HEADER_BYTES long). Returns a message
 * when it is malformed; the caller has checked the tag.
 */
export function parseChunkHeader(view: DataView, chunkRecords: number, vcpuLimit: number): ChunkHeader | string {
  const count = view.getUint32(CHUNK_OFFSET.count, true);
  if (count < 1 || count > chunkRecords) return `chunk of ${count} events (the header allows 1 to ${chunkRecords})`;
  const modes: number[] = [];
  const first: number[] = [];
  const step: number[] = [];
  for (let index = 0; index < COLUMNS.length; index++) {
    const mode = view.getUint8(CHUNK_OFFSET.modes + index);
    const key = COLUMNS[index].key;
    if (mode !== ColumnMode.RAW && mode !== ColumnMode.ARITHMETIC) return `column ${key}: unknown storage mode ${mode}`;
    const a = view.getFloat64(CHUNK_OFFSET.arithmetic + index * 16, true);
    const b = view.getFloat64(CHUNK_OFFSET.arithmetic + index * 16 + 8, true);
    if (mode === ColumnMode.ARITHMETIC) {
      // Linear, so checking both ends (and integral steps) checks every value.
      if (!Number.isInteger(b)) return `column ${key}: step ${b} is not an integer`;
      const problem = valueProblem(key, a, vcpuLimit) ?? valueProblem(key, a + (count - 1) * b, vcpuLimit);
      if (problem !== undefined) return `column ${key}: ${problem}`;
    }
    modes.push(mode);
    first.push(mode === ColumnMode.ARITHMETIC ? a : 0);
    step.push(mode === ColumnMode.ARITHMETIC ? b : 0);
  }
  const expected = payloadBytes(count, modes);
  const stated = view.getUint32(CHUNK_OFFSET.payloadBytes, true);
  if (stated !== expected) return `chunk header says ${stated} payload bytes, its ${count} events and column modes need ${expected}`;
  return { count, payloadBytes: expected, modes, first, step };
}

/**
 * The events of a chunk: raw columns as views over `payload` (which must
 * start 8-byte aligned; no copy), arithmetic ones filled into the matching
 * column of `own` (at least `count` long; with `filled`, only when `own`
 * does not hold those values already, so callers must not write to them).
 * Valid while `payload` and `own` are.
 */
export function viewChunk(chunk: ChunkHeader, payload: Uint8Array, own: EventColumns, filled?: Float64Array): TraceEvents {
  const n = chunk.count;
  const out = { count: n } as TraceEvents;
  let offset = payload.byteOffset;
  for (let index = 0; index < COLUMNS.length; index++) {
    const column = COLUMNS[index];
    let values: ColumnArray;
    if (chunk.modes[index] === ColumnMode.RAW) {
      values = new CONSTRUCTORS[column.key](payload.buffer, offset, n);
      offset += align8(n * column.bytes);
    } else {
      values = own[column.key].subarray(0, n);
      const first = chunk.first[index];
      const step = chunk.step[index];
      // `filled` (3 numbers per column: first, step, count) says what `own` holds already: a
      // constant column (one vCPU, one size) is filled once, not once per chunk.
      const at = index * 3;
      if (filled === undefined || filled[at] !== first || filled[at + 1] !== step || filled[at + 2] < n) {
        if (step === 0) values.fill(first);
        else for (let i = 0; i < n; i++) values[i] = first + i * step;
        if (filled !== undefined) [filled[at], filled[at + 1], filled[at + 2]] = [first, step, n];
      }
    }
    (out as unknown as Record<ColumnKey, ColumnArray>)[column.key] = values;
  }
  return out;
}

/**
 * The columns of `chunk` stored as arithmetic sequences (checked at both
 * ends by `parseChunkHeader`); with `constantOnly`, those of step 0 (one
 * value for every event).
 */
export function arithmeticColumns(chunk: ChunkHeader, constantOnly = false): Set<ColumnKey> {
  const keys = new Set<ColumnKey>();
  COLUMNS.forEach((column, index) => {
    if (chunk.modes[index] === ColumnMode.ARITHMETIC && (!constantOnly || chunk.step[index] === 0)) keys.add(column.key);
  });
  return keys;
}

/** Why `value` cannot be stored in column `key`, or undefined when it can. */
export function valueProblem(key: ColumnKey, value: number, vcpuLimit: number): string | undefined {
  const integer = Number.isInteger(value);
  switch (key) {
    case 'op':
      return isOpCode(value) ? undefined : `${value} is not an op code (${OP_CODE_LIST})`;
    case 'vcpu':
      return integer && value >= 0 && value < vcpuLimit ? undefined : `${value} is not a vCPU id below the vCPU count ${vcpuLimit}`;
    case 'gpa':
      return integer && value >= 0 && value < GPA_LIMIT ? undefined : `${value} is not an integer address below 2^52`;
    case 'sizeBytes':
      return integer && value >= 0 && value <= GPA_LIMIT ? undefined : `${value} is not an integer size from 0 to 2^52 bytes`;
    case 'slot':
      return integer && value >= -1 && value <= MAX_SLOT_ID ? undefined : `${value} is not a memslot id (-1 for none, or 0 to ${MAX_SLOT_ID})`;
    case 'line':
      return integer && value >= 0 && value <= 0xffffffff ? undefined : `${value} is not a line number (0 to 2^32 - 1)`;
  }
}

/** The defined op codes as runs, for messages ("1 to 14, 20"). */
const OP_CODE_LIST = opCodeRuns();

function opCodeRuns(): string {
  const runs: string[] = [];
  for (let op = 1; op < OP_NAMES.length; op++) {
    if (!isOpCode(op)) continue;
    let end = op;
    while (end + 1 < OP_NAMES.length && isOpCode(end + 1)) end++;
    runs.push(end === op ? `${op}` : `${op} to ${end}`);
    op = end;
  }
  return runs.join(', ');
}

/**
 * Per op code: 0 not an op, 1 an op without a memslot (slot must be -1), 2 an
 * op naming a memslot, 3 an AT (slot holds its `AtVariant`, 0 to MAX_AT_VARIANT).
 */
const OP_CLASS = new Uint8Array(256);
for (let op = 1; op <= MAX_OP; op++) OP_CLASS[op] = !isOpCode(op) ? 0 : op === Op.AT ? 3 : needsSlot(op as Op) ? 2 : 1;

/** Largest value the `slot` field may hold for an op of class `cls`. */
function slotLimit(cls: number): number {
  return cls === 3 ? MAX_AT_VARIANT : MAX_SLOT_ID;
}

/**
 * Check events [start, start + count) of `events` as `findEventProblem`
 * does, fast: one branch-light loop per column that may be bad, and the
 * detailed search only when one is. `trusted` lists columns known valid
 * (arithmetic chunk columns, whose two ends `parseChunkHeader` checked),
 * which are skipped. `constant` lists columns known to hold one value: when
 * op and slot both do (a chunk of reads with no memslot, say), whether an op
 * may carry its slot is the same for every event, so it is checked on the
 * first event only; when only slot does and it is -1 (no memslot), each op
 * need only be one that names none. `touchedEndGpa` (a file's header, its
 * offset 32): no event may end beyond it (src/trace/touchedEnd.ts); with
 * every op counting and one size, that is a lower limit for the gpa pass.
 */
export function checkEvents(
  events: EventColumns,
  start: number,
  count: number,
  vcpuLimit: number,
  trusted: ReadonlySet<ColumnKey> = NONE_TRUSTED,
  constant: ReadonlySet<ColumnKey> = NONE_TRUSTED,
  touchedEndGpa = GPA_LIMIT,
): EventProblem | undefined {
  const end = start + count;
  const checkGpa = !trusted.has('gpa');
  // Each loop is a function of its own that returns from inside it. V8 reuses a loop's on-stack-replacement
  // code across calls, and code after a loop that had not run when that code was compiled deoptimized it on
  // every call: one deopt per chunk (277 in one streamed replay of valgrind's sort trace, whose vcpu and
  // size columns are raw), the later loops running unoptimized after each.
  // With constant op and slot, or a constant slot of -1, the op-slot rule needs no slot per event: ops apart, gpas apart.
  const slotConstant = constant.has('slot');
  const gpasApart = slotConstant && (constant.has('op') || events.slot[start] === -1);
  const opsOk = !gpasApart
    ? opsSlotsAndGpasValid(events, start, end, checkGpa)
    : constant.has('op')
      ? opsSlotsAndGpasValid(events, start, Math.min(start + 1, end), false)
      : opsNameNoSlot(events.op, start, end);
  // The touched end. With no op naming a memslot every event counts, and a pass already made checks it too: with
  // one size s, gpa + max(1, s) <= touched end is gpa < touched end - max(1, s) + 1, the gpa pass's limit; with
  // raw sizes, the size pass adds the gpa; with a linear gpa column and one size, its two ends decide. Otherwise
  // (memslot ops) a pass of its own.
  const bounded = touchedEndGpa < GPA_LIMIT;
  const oneSize = bounded && gpasApart && constant.has('sizeBytes') && count > 0;
  const inGpaPass = oneSize && checkGpa;
  const inSizePass = bounded && gpasApart && !trusted.has('sizeBytes');
  const byEnds = oneSize && !checkGpa;
  const gpaLimit = inGpaPass ? touchedEndGpa - eventEndGpa(0, events.sizeBytes[start]) + 1 : GPA_LIMIT;
  const ok =
    opsOk &&
    (!gpasApart || !checkGpa || integersBelow(events.gpa, start, end, gpaLimit)) &&
    (trusted.has('vcpu') || allBelow(events.vcpu, start, end, vcpuLimit)) &&
    (trusted.has('sizeBytes') ||
      (inSizePass ? sizesValidWithin(events, start, end, touchedEndGpa) : integersBelow(events.sizeBytes, start, end, GPA_LIMIT + 1))) &&
    (!bounded ||
      inGpaPass ||
      inSizePass ||
      (byEnds
        ? eventEndGpa(Math.max(events.gpa[start], events.gpa[end - 1]), events.sizeBytes[start]) <= touchedEndGpa
        : firstEventBeyond(events, start, end, touchedEndGpa) < 0));
  return ok ? undefined : findEventProblem(events, start, count, vcpuLimit, touchedEndGpa);
}

/** One pass over op, slot and (with `checkGpa`) gpa of events [start, end): true when all are valid. */
function opsSlotsAndGpasValid(events: EventColumns, start: number, end: number, checkGpa: boolean): boolean {
  const { op, gpa, slot } = events;
  for (let i = start; i < end; i++) {
    const cls = OP_CLASS[op[i]];
    const s = slot[i];
    const g = checkGpa ? gpa[i] : 0;
    if ((cls === 1 ? s !== -1 : cls === 0 || s < 0 || s > slotLimit(cls)) || !(g >= 0 && g < GPA_LIMIT && Math.floor(g) === g)) return false;
  }
  return true;
}

/** True when every op of [start, end) names no memslot (`opsSlotsAndGpasValid`'s rule when every slot is -1). */
function opsNameNoSlot(op: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (OP_CLASS[op[i]] !== 1) return false;
  return true;
}

/** True when values[start, end) are all below `limit`. */
function allBelow(values: Uint16Array, start: number, end: number, limit: number): boolean {
  for (let i = start; i < end; i++) if (values[i] >= limit) return false;
  return true;
}

const NONE_TRUSTED: ReadonlySet<ColumnKey> = new Set();

/** True when values[start, end) are all integers in [0, limit). */
function integersBelow(values: Float64Array, start: number, end: number, limit: number): boolean {
  for (let i = start; i < end; i++) {
    const v = values[i];
    if (!(v >= 0 && v < limit && Math.floor(v) === v)) return false;
  }
  return true;
}

/**
 * Check events [start, start + count) of `events`: every value in range (as
 * `valueProblem`), and `slot` set exactly on the ops that name a memslot.
 * Returns the first bad event (its index in `events`; the first column in
 * COLUMNS order when one event has several), or undefined. One tight loop
 * per column, each stopping at the earliest bad event found so far.
 */
export function findEventProblem(events: EventColumns, start: number, count: number, vcpuLimit: number, touchedEndGpa = GPA_LIMIT): EventProblem | undefined {
  const { op, vcpu, gpa, sizeBytes, slot } = events;
  const end = start + count;
  let bad = end;
  let badKey: ColumnKey = 'op';
  for (let i = start; i < bad; i++) {
    if (OP_CLASS[op[i]] === 0) {
      [bad, badKey] = [i, 'op'];
      break;
    }
  }
  for (let i = start; i < bad; i++) {
    if (vcpu[i] >= vcpuLimit) {
      [bad, badKey] = [i, 'vcpu'];
      break;
    }
  }
  for (let i = start; i < bad; i++) {
    const g = gpa[i];
    if (!(g >= 0 && g < GPA_LIMIT && Math.floor(g) === g)) {
      [bad, badKey] = [i, 'gpa'];
      break;
    }
  }
  for (let i = start; i < bad; i++) {
    const s = sizeBytes[i];
    if (!(s >= 0 && s <= GPA_LIMIT && Math.floor(s) === s)) {
      [bad, badKey] = [i, 'sizeBytes'];
      break;
    }
  }
  for (let i = start; i < bad; i++) {
    const cls = OP_CLASS[op[i]];
    if (cls >= 2 ? slot[i] < 0 || slot[i] > slotLimit(cls) : slot[i] !== -1) {
      [bad, badKey] = [i, 'slot'];
      break;
    }
  }
  if (bad === end) return beyondTouchedEnd(events, start, end, touchedEndGpa);
  if (badKey === 'slot' && op[bad] === Op.AT) {
    return { index: bad, column: 'slot', problem: `${slot[bad]} is not an AT variant (0 to ${MAX_AT_VARIANT}: ${AT_VARIANT_NAMES.join(', ')})` };
  }
  if (badKey === 'slot' && (slot[bad] === -1 || !needsSlot(op[bad] as Op))) {
    const name = OP_NAMES[op[bad]];
    const problem = slot[bad] === -1 ? `${name} needs a memslot id` : `${name} names no memslot, so its slot must be -1, not ${slot[bad]}`;
    return { index: bad, column: 'slot', problem };
  }
  return { index: bad, column: badKey, problem: valueProblem(badKey, events[badKey][bad], vcpuLimit) ?? '' };
}

/** The first event of [start, end) ending beyond the header's touched end, as a problem, or undefined. */
function beyondTouchedEnd(events: EventColumns, start: number, end: number, touchedEndGpa: number): EventProblem | undefined {
  const i = firstEventBeyond(events, start, end, touchedEndGpa);
  if (i < 0) return undefined;
  const hex = (n: number): string => `0x${n.toString(16)}`;
  const range = `[${hex(events.gpa[i])}, ${hex(eventEndGpa(events.gpa[i], events.sizeBytes[i]))})`;
  return {
    index: i,
    column: 'gpa',
    problem: `${range} ends beyond the header's touched end ${hex(touchedEndGpa)} (header byte ${HEADER_OFFSET.touchedEndGpa}), which sizes the default memslot`,
  };
}

/** The first bad event found by `checkEvents`. */
export interface EventProblem {
  /** Index of the event in the checked arrays. */
  index: number;
  column: ColumnKey;
  problem: string;
}
