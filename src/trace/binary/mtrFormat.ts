/**
 * Layout of the binary trace format `.mtr`, version 1 (docs/trace-format.md,
 * "Binary trace format"). One place for every offset and limit; the writer
 * and the reader import them from here.
 *
 * A file is a header, then chunks of at most `chunkRecords` events stored
 * column by column (little-endian, each column 8-byte aligned so a
 * Float64Array can view it in place), then an end marker. A column whose
 * values in a chunk are `first + i * step` (constant slot, size or vCPU;
 * consecutive lines) is stored as those two numbers instead of its values.
 */
import { endianness } from 'node:os';

/** `\x89MTR\r\n\x1a\n`: high bit, name, and the line-end bytes text-mode copies corrupt (as PNG's). */
export const MTR_MAGIC: readonly number[] = [0x89, 0x4d, 0x54, 0x52, 0x0d, 0x0a, 0x1a, 0x0a];
/** The only version this code reads and writes. */
export const MTR_VERSION = 1;
/** File name extension of binary traces. */
export const MTR_EXTENSION = '.mtr';

/** Fixed part of the file header; the source description follows, padded to 8 bytes. */
export const FILE_HEADER_BYTES = 64;
/** Byte offsets of the file header fields. */
export const HEADER_OFFSET = {
  magic: 0, // u8[8]
  version: 8, // u32
  headerBytes: 12, // u32: offset of the first chunk
  flags: 16, // u32
  vcpuCount: 20, // u32
  eventCount: 24, // u64, all ones when unknown
  touchedEndGpa: 32, // u64
  chunkRecords: 40, // u32: most events in one chunk
  sourceBytes: 44, // u32: UTF-8 bytes of the source description
  // 48..63 reserved, zero
} as const;

/** Flag bit: the trace creates its own memslots (`Trace.declaresSlots`). */
export const FLAG_DECLARES_SLOTS = 1;
/** Every flag bit version 1 defines; others must be zero. */
export const KNOWN_FLAGS = FLAG_DECLARES_SLOTS;

/** Events per chunk the writer uses unless told otherwise (27 bytes each at most: 1.7 MiB). */
export const DEFAULT_CHUNK_RECORDS = 65536;
/** Largest `chunkRecords` a reader accepts (bounds the chunk buffer to 27 MiB). */
export const MAX_CHUNK_RECORDS = 1 << 20;
/** Largest event count a reader accepts (typed array lengths). */
export const MAX_EVENT_COUNT = 2 ** 32 - 1;
/** Longest source description, in UTF-8 bytes. */
export const MAX_SOURCE_BYTES = 65536;

/** `CHNK`, as a little-endian u32: starts a chunk. */
export const CHUNK_TAG = 0x4b4e4843;
/** `TEND`, as a little-endian u32: starts the end marker. */
export const END_TAG = 0x444e4554;
/** Chunk header: tag, count, payload bytes, modes, then (first, step) per column. */
export const CHUNK_HEADER_BYTES = 120;
/** Byte offsets of the chunk header fields. */
export const CHUNK_OFFSET = {
  tag: 0, // u32
  count: 4, // u32: events in this chunk, 1..chunkRecords
  payloadBytes: 8, // u32: bytes of column data after the header
  modes: 12, // u8 per column, in COLUMNS order; then 2 zero bytes
  // 20..23 reserved, zero
  arithmetic: 24, // per column: f64 first, f64 step (zero for raw columns)
} as const;
/** End marker: tag, u32 zero, u64 total events (must match the header). */
export const END_MARKER_BYTES = 16;

/** How a column is stored in a chunk. */
export enum ColumnMode {
  /** `count` values follow in the payload. */
  RAW = 0,
  /** value[i] = first + i * step; nothing in the payload. */
  ARITHMETIC = 1,
}

/** The `TraceEvents` columns, in payload order (widest first, so every column stays aligned). */
export const COLUMNS = [
  { key: 'gpa', bytes: 8 },
  { key: 'sizeBytes', bytes: 8 },
  { key: 'slot', bytes: 4 },
  { key: 'line', bytes: 4 },
  { key: 'vcpu', bytes: 2 },
  { key: 'op', bytes: 1 },
] as const;

/** Key of one stored column of `TraceEvents`. */
export type ColumnKey = (typeof COLUMNS)[number]['key'];

/** `bytes` rounded up to a multiple of 8. */
export function align8(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

/** Payload bytes of a chunk of `count` events with the given column modes. */
export function payloadBytes(count: number, modes: ArrayLike<number>): number {
  let total = 0;
  COLUMNS.forEach((column, index) => {
    if (modes[index] === ColumnMode.RAW) total += align8(count * column.bytes);
  });
  return total;
}

/**
 * The format is little-endian and columns are read through typed-array
 * views, which use the host's byte order: refuse clearly on big-endian hosts
 * rather than misread.
 */
export function hostIsLittleEndian(): boolean {
  return endianness() === 'LE';
}

/** What the file header says. */
export interface MtrHeader {
  version: number;
  /** Offset of the first chunk. */
  headerBytes: number;
  flags: number;
  vcpuCount: number;
  /** Events in the file, or -1 when the writer did not record it. */
  eventCount: number;
  touchedEndGpa: number;
  declaresSlots: boolean;
  chunkRecords: number;
  /** Free text naming where the trace came from (e.g. the CSV it was converted from). */
  source: string;
}
