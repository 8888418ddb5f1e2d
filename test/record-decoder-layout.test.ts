/**
 * `mmubench record`'s pure parts: the plugin's 16-byte records decoded into
 * rows (also when split across pipe reads, and stopping at --max-accesses),
 * and the pc machine's memory map written as FILE.vm.json.
 */
import { describe, expect, it } from 'vitest';
import { QemuRecordDecoder, RECORD_BYTES } from '../src/trace/qemuRecordDecoder.js';
import { below4gBytes, pcLayout } from '../src/cli/recordLayout.js';
import { parseVmLayout } from '../src/cli/vmLayout.js';
import { OP_NAMES, type Op } from '../src/trace/ops.js';
import type { ImportSink } from '../src/trace/importers/importTypes.js';

/** One record as mmutrace.c's `emit` writes it. */
function record(gpa: bigint, size: number, vcpu: number, op: number): Buffer {
  const b = Buffer.alloc(RECORD_BYTES);
  b.writeBigUInt64LE(gpa, 0);
  b.writeUInt32LE(size, 8);
  b.writeUInt16LE(vcpu, 12);
  b[14] = op;
  return b;
}

function collect(): { rows: string[]; sink: ImportSink } {
  const rows: string[] = [];
  return {
    rows,
    sink: {
      access(op: Op, vcpu, gpa, size, _input, line) {
        rows.push(`${vcpu},${OP_NAMES[op]},0x${gpa.toString(16)},${size}@${line}`);
      },
    },
  };
}

describe('record: plugin records', () => {
  it('decodes records split at any byte across reads, in order, line = record number', () => {
    const stream = Buffer.concat([record(0xfffffff0n, 5, 0, 3), record(0x1234_5678_9000n, 8, 1, 2), record(0xfee000f0n, 4, 0, 1)]);
    for (const cut of [1, 7, 15, 16, 17, 31, 40]) {
      const { rows, sink } = collect();
      const decoder = new QemuRecordDecoder(sink, 100);
      decoder.push(stream.subarray(0, cut));
      decoder.push(stream.subarray(cut));
      expect(rows).toEqual(['0,X,0xfffffff0,5@1', '1,W,0x123456789000,8@2', '0,R,0xfee000f0,4@3']);
      expect(decoder.trailingBytes).toBe(0);
    }
  });

  it('stops at --max-accesses and drops records no trace can hold', () => {
    const { rows, sink } = collect();
    const decoder = new QemuRecordDecoder(sink, 2);
    const bad = [record(2n ** 52n, 8, 0, 1), record(0x1000n, 8, 0, 9), record(0x1000n, 8, 4096, 1), record(0x1000n, 0, 0, 1)];
    expect(decoder.push(Buffer.concat([...bad, record(0x1000n, 8, 0, 1)]))).toBe(false);
    expect(decoder.push(Buffer.concat([record(0x2000n, 8, 0, 2), record(0x3000n, 8, 0, 2)]))).toBe(true);
    // line = the record's number in the stream, dropped records counted: 4 bad ones come first.
    expect(rows).toEqual(['0,R,0x1000,8@5', '0,W,0x2000,8@6']);
    expect(decoder.dropped).toBe(4);
  });

  it('--skip-accesses leaves out the first records; lines keep their record numbers', () => {
    const { rows, sink } = collect();
    const decoder = new QemuRecordDecoder(sink, 2, 3);
    decoder.push(Buffer.concat([1, 2, 3, 4, 5, 6].map((page) => record(BigInt(page * 4096), 8, 0, 1))));
    expect(rows).toEqual(['0,R,0x4000,8@4', '0,R,0x5000,8@5']);
  });
});

describe('record: the pc memory map as a --vm layout', () => {
  it('256 MiB: conventional RAM, the ROM shadow, RAM from 1 MiB, the read-only BIOS; valid for --vm', () => {
    const layout = pcLayout(256 << 20);
    expect(layout.memslots).toEqual([
      { id: 0, gpa: '0x0', size: '0xa0000' },
      { id: 1, gpa: '0xc0000', size: '0x40000' },
      { id: 2, gpa: '0x100000', size: '0xff00000' },
      { id: 3, gpa: '0xfffc0000', size: '0x40000', readOnly: true },
    ]);
    expect(parseVmLayout('boot.vm.json', layout).memslots.map((m) => m.sizeBytes)).toEqual([0xa0000, 0x40000, 0xff00000, 0x40000]);
  });

  it('4 GiB: 3 GiB below the PCI hole (pc_piix gigabyte_align), 1 GiB from 4 GiB', () => {
    expect(below4gBytes(0xe0000000 - 2 ** 21)).toBe(0xe0000000 - 2 ** 21); // just under 3.5 GiB: all below
    expect(below4gBytes(4 * 2 ** 30)).toBe(3 * 2 ** 30);
    const slots = pcLayout(4 * 2 ** 30).memslots;
    expect(slots[2]).toEqual({ id: 2, gpa: '0x100000', size: '0xbff00000' });
    expect(slots[4]).toEqual({ id: 4, gpa: '0x100000000', size: '0x40000000' });
  });
});
