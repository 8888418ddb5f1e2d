/**
 * The QEMU mem plugin importer (`--format qemu-mem`) on lines in the exact
 * format of `tests/plugin/mem.c`'s `print_access` (test/fixtures/README.md):
 * GPA from mem_hwaddr, size from access_size in bits, load/store as R/W,
 * every line that makes no row counted under its reason, `--strict` located.
 */
import { describe, expect, it } from 'vitest';
import { OP_NAMES, type Op } from '../src/trace/ops.js';
import { importQemuMem } from '../src/trace/importers/qemuMemImporter.js';
import { IMPORT_DEFAULTS, type ImportOptions } from '../src/trace/importers/importOptions.js';
import type { ImportInput, ImportSink } from '../src/trace/importers/importTypes.js';
import { fixture } from './helpers/runCli.js';

/** Rows as `vcpu,op,0xgpa,size@input:line`. */
async function rowsOf(inputs: ImportInput[], options: Partial<ImportOptions> = {}) {
  const rows: string[] = [];
  const sink: ImportSink = {
    access(op: Op, vcpu, gpa, sizeBytes, input, line) {
      rows.push(`${vcpu},${OP_NAMES[op]},0x${gpa.toString(16)},${sizeBytes}@${input}:${line}`);
    },
  };
  const summary = await importQemuMem(inputs, { ...IMPORT_DEFAULTS, ...options }, sink);
  return { rows, summary };
}

const HEADER = 'insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value\n';
const text = (name: string, body: string, chunkBytes?: number): ImportInput => ({ name, bytes: Buffer.from(body), chunkBytes });

describe('qemu-mem importer', () => {
  it('turns the fixture into its six accesses: GPA = mem_hwaddr, bytes = bits / 8, load R, store W, vCPU 0', async () => {
    const { rows, summary } = await rowsOf([{ name: 'qemu-mem-tiny.log', path: fixture('qemu-mem-tiny.log') }]);
    expect(rows).toEqual([
      '0,R,0xffff0,1@0:2', // 8 bits at the reset vector's physical address (mem_vaddr 0xfff0 is CS-relative)
      '0,W,0x3a00000,8@0:3', // 64-bit store: mem_hwaddr, not the direct-map mem_vaddr 0xffff888003a00000
      '0,W,0x3a00008,8@0:4',
      '0,R,0x1013ff8,4@0:5', // 32 bits
      '0,W,0x12345000,2@0:6', // 16 bits
      '0,R,0x12345010,16@0:7', // 128 bits; the symbol "operator()<int, int>" holds a comma
    ]);
    expect(summary.lines).toBe(9);
    expect(summary.rows).toBe(6);
    expect(summary.hasTime).toBe(false);
    expect(summary.skipped).toEqual([
      { reason: 'header line', count: 1, bad: false },
      { reason: 'empty line', count: 1, bad: false },
      { reason: 'plugin summary line', count: 1, bad: false },
    ]);
  });

  it('counts each malformed line under its reason and keeps the good ones', async () => {
    const body =
      HEADER +
      '0x100c,,0x4000,0x4000,24,load,0x000000\n' + // line 2: 24 bits is no access size
      '0x100c,,0x4000,0x4000,32,modify,0x00000000\n' + // 3
      '0x100c,,0x4000,0x10000000000000,32,load,0x00000000\n' + // 4: hwaddr 2^52
      '0x100c,,0x4000,0x40\n' + // 5: a line cut short (QEMU killed mid-write)
      'qemu-system-x86_64: terminating on signal 2\n' + // 6
      '0x100c,,0x4000,0x4000,32,load,0x00000001\n' + // 7: good
      '100c,,0x4000,0x4000,32,load,0x00000001\n' + // 8: no 0x
      '0x100c,,0x4000,0x4000,32,load,1\n'; // 9: value without 0x
    const { rows, summary } = await rowsOf([text('cap.log', body, 7)]);
    expect(rows).toEqual(['0,R,0x4000,4@0:7']);
    expect(summary.skipped).toEqual([
      { reason: 'header line', count: 1, bad: false },
      { reason: 'bad access_size (expected 8, 16, 32, 64 or 128 bits)', count: 1, bad: true },
      { reason: 'bad access_type (expected load or store)', count: 1, bad: true },
      { reason: 'mem_hwaddr at or beyond 2^52', count: 1, bad: true },
      { reason: 'not a mem plugin access line (expected 7 comma-separated fields)', count: 2, bad: true },
      { reason: 'bad insn_vaddr (expected 0x and hex digits)', count: 1, bad: true },
      { reason: 'bad mem_value (expected 0x and 2 to 32 hex digits)', count: 1, bad: true },
    ]);
  });

  it('--strict stops at the first line it does not understand, with file:line: reason: the line', async () => {
    const body = HEADER + '0x100c,,0x4000,0x4000,32,load,0x00000001\n0x100c,,0x4000,0x4000,32,modify,0x00000000\n';
    await expect(rowsOf([text('cap.log', body)], { strict: true })).rejects.toThrow(
      'cap.log:3: bad access_type (expected load or store): 0x100c,,0x4000,0x4000,32,modify,0x00000000',
    );
  });

  it('reads several inputs as one capture, lines counted per input', async () => {
    const a = text('a.log', HEADER + '0x1,,0x2,0x3000,64,store,0x0000000000000001\n');
    const b = text('b.log', '0x1,,0x2,0x5000,8,load,0x01');
    const { rows, summary } = await rowsOf([a, b]);
    expect(rows).toEqual(['0,W,0x3000,8@0:2', '0,R,0x5000,1@1:1']);
    expect(summary.lines).toBe(3);
  });
});
