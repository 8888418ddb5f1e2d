/**
 * Counts the trace events decoded from files (a test hook, kept out of src/):
 * every event an `.mtr` chunk reader hands out and every row a CSV chunk
 * reader parses, checking passes included, until `restore()`.
 */
import { vi } from 'vitest';
import { MtrChunkReader } from '../../src/trace/binary/mtrChunkReader.js';
import { CsvChunkReader } from '../../src/trace/csvChunkReader.js';

export interface DecodeCounter {
  /** Events decoded since the counter started. */
  events(): number;
  restore(): void;
}

export function countDecodedEvents(): DecodeCounter {
  let events = 0;
  const mtrNext = MtrChunkReader.prototype.next;
  const csvReadUntil = CsvChunkReader.prototype.readUntil;
  const mtr = vi.spyOn(MtrChunkReader.prototype, 'next').mockImplementation(function (this: MtrChunkReader) {
    const chunk = mtrNext.call(this);
    if (chunk !== undefined) events += chunk.count;
    return chunk;
  });
  const csv = vi.spyOn(CsvChunkReader.prototype, 'readUntil').mockImplementation(function (this: CsvChunkReader, until: number) {
    const before = this.checker.total;
    try {
      csvReadUntil.call(this, until);
    } finally {
      events += this.checker.total - before;
    }
  });
  return {
    events: () => events,
    restore: () => {
      mtr.mockRestore();
      csv.mockRestore();
    },
  };
}
