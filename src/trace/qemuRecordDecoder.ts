/**
 * Decodes the record stream of mmubench's QEMU plugin
 * (native/qemu-plugin/mmutrace.c) into trace rows: 16-byte little-endian
 * records `u64 gpa, u32 size in bytes, u16 vCPU, u8 op (1 R, 2 W, 3 X), u8 0`,
 * in the order the guest made the accesses. A record may be split across
 * two chunks of the stream; the decoder keeps the partial bytes.
 */
import type { ImportSink } from './importers/importTypes.js';
import { GPA_LIMIT } from '../mmu/address.js';
import { MAX_VCPU_ID } from './fieldParsers.js';

/** Bytes of one record. */
export const RECORD_BYTES = 16;
/** Largest `line` an event can carry (u32): later records all get it. */
const MAX_LINE = 0xffffffff;

export class QemuRecordDecoder {
  /** Records handed to the sink. */
  rows = 0;
  /** Records dropped: a GPA or size beyond 2^52, an unknown op, a vCPU above 4095 (the plugin never writes them). */
  dropped = 0;
  private readonly partial = Buffer.alloc(RECORD_BYTES);
  private partialBytes = 0;

  /** Records seen, skipped ones included. */
  private seen = 0;

  /**
   * `maxRows`: stop after that many rows (later records are ignored);
   * `skip`: leave out the stream's first records. A row's `line` is its
   * record number in the whole stream, from 1.
   */
  constructor(
    private readonly sink: ImportSink,
    private readonly maxRows: number,
    private readonly skip = 0,
  ) {}

  /** True once `maxRows` rows were handed on. */
  get full(): boolean {
    return this.rows >= this.maxRows;
  }

  /** Decode `chunk`; returns `full` afterwards. */
  push(chunk: Buffer): boolean {
    let at = 0;
    if (this.partialBytes > 0) {
      const take = Math.min(RECORD_BYTES - this.partialBytes, chunk.length);
      chunk.copy(this.partial, this.partialBytes, 0, take);
      this.partialBytes += take;
      at = take;
      if (this.partialBytes < RECORD_BYTES) return this.full;
      this.decode(this.partial, 0);
      this.partialBytes = 0;
    }
    for (; at + RECORD_BYTES <= chunk.length && !this.full; at += RECORD_BYTES) this.decode(chunk, at);
    if (!this.full && at < chunk.length) {
      chunk.copy(this.partial, 0, at);
      this.partialBytes = chunk.length - at;
    }
    return this.full;
  }

  /** Bytes of an incomplete record at the end of the stream (0 for a clean end). */
  get trailingBytes(): number {
    return this.partialBytes;
  }

  private decode(buf: Buffer, at: number): void {
    if (this.full) return;
    if (++this.seen <= this.skip) return;
    const gpa = buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * 2 ** 32;
    const size = buf.readUInt32LE(at + 8);
    const vcpu = buf.readUInt16LE(at + 12);
    const op = buf[at + 14];
    if (op < 1 || op > 3 || vcpu > MAX_VCPU_ID || size < 1 || gpa + size > GPA_LIMIT) {
      this.dropped++;
      return;
    }
    this.rows++;
    this.sink.access(op, vcpu, gpa, size, 0, Math.min(this.seen, MAX_LINE), -1);
  }
}
