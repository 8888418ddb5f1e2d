/**
 * Rewrite one field of an `.mtr` file's header in place, as a third-party
 * writer might have written it: mmubench's own writer refuses metadata that
 * disagrees with the events (binaryTraceWriter.ts), so a test of the
 * reader's checks writes a valid file and then changes the field.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { HEADER_OFFSET } from '../../src/trace/binary/mtrFormat.js';

/** Set header field `field` of the file at `path` to `value` (u32 or u64, little-endian, as mtrFormat.ts lays it out). */
export function patchMtrHeader(path: string, field: 'flags' | 'touchedEndGpa', value: number): void {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (field === 'flags') view.setUint32(HEADER_OFFSET.flags, value, true);
  else view.setBigUint64(HEADER_OFFSET.touchedEndGpa, BigInt(value), true);
  writeFileSync(path, bytes);
}
