/**
 * The lackey importer on real valgrind captures (test/fixtures/README.md says
 * how they were made): exact rows, the 1 GiB region packing, M as R then W,
 * and several programs interleaved as vCPUs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OP_NAMES, type Op } from '../src/trace/ops.js';
import { importLackey } from '../src/trace/importers/lackeyImporter.js';
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
  const summary = await importLackey(inputs, { ...IMPORT_DEFAULTS, ...options }, sink);
  return { rows, summary };
}

const tiny = { name: 'lackey-tiny.log', path: fixture('lackey-tiny.log') };
const binTrue = { name: 'lackey-true.log', path: fixture('lackey-true.log') };

describe('lackey importer: real captures', () => {
  it('turns the tiny program capture into exactly its 16 accesses (lackey-tiny.S, line by line)', async () => {
    const { rows, summary } = await rowsOf([tiny]);
    expect(rows).toEqual([
      '0,X,0x401000,11@0:6', // movq $1, buf
      '0,W,0x402000,8@0:7', // S: buf, first page
      '0,X,0x40100b,7@0:8',
      '0,R,0x402000,8@0:9', // L: buf
      '0,X,0x401012,8@0:10',
      '0,R,0x403000,8@0:11', // M: addq to buf+4096 is a load ...
      '0,W,0x403000,8@0:11', // ... then a store, from the same line
      '0,X,0x40101a,1@0:12',
      '0,W,0x7f000778,8@0:13', // push: stack 0x1fff000778 is region 127 -> GPA slot 1 (0x40000000) + 0x3f000778
      '0,X,0x40101b,1@0:14',
      '0,R,0x7f000778,8@0:15', // pop
      '0,X,0x40101c,6@0:16',
      '0,W,0x404000,4@0:17', // movl to buf+8192
      '0,X,0x401022,5@0:18',
      '0,X,0x401027,2@0:19',
      '0,X,0x401029,2@0:20',
    ]);
    expect(summary.lines).toBe(39);
    expect(summary.rows).toBe(16);
    expect(summary.hasTime).toBe(false);
    expect(summary.skipped).toEqual([{ reason: 'valgrind message (==PID==)', count: 24, bad: false }]);
    expect(summary.mapping).toContain('vCPU 0 virtual 0x0-0x3fffffff -> GPA 0x0');
    expect(summary.mapping).toContain('vCPU 0 virtual 0x1fc0000000-0x1fffffffff -> GPA 0x40000000');
  });

  it('packs /bin/true (loader near 0x4000000, stack near 0x1fff000000) into GPA slots 0 and 1', async () => {
    const { rows, summary } = await rowsOf([binTrue]);
    expect(rows.slice(0, 4)).toEqual(['0,X,0x401ab70,3@0:6', '0,X,0x401ab73,5@0:7', '0,W,0x7f000768,8@0:8', '0,X,0x401b770,1@0:9']);
    // 395 access lines after the 5-line banner; 9 of them are M (two rows each).
    expect(summary.lines).toBe(400);
    expect(summary.rows).toBe(395 + 9);
    expect(summary.skipped).toEqual([{ reason: 'valgrind message (==PID==)', count: 5, bad: false }]);
    expect(summary.mapping.filter((m) => m.includes('-> GPA'))).toEqual([
      'vCPU 0 virtual 0x0-0x3fffffff -> GPA 0x0',
      'vCPU 0 virtual 0x1fc0000000-0x1fffffffff -> GPA 0x40000000',
    ]);
  });

  it('--vcpus 2 replays two copies in turn, one access line each, each copy with its own GPA slots', async () => {
    const { rows, summary } = await rowsOf([tiny], { vcpus: 2 });
    expect(rows.slice(0, 4)).toEqual(['0,X,0x401000,11@0:6', '1,X,0x40401000,11@0:6', '0,W,0x402000,8@0:7', '1,W,0x40402000,8@0:7']);
    // The M line: both of its rows come in the same turn.
    expect(rows.slice(8, 14)).toEqual([
      '0,X,0x401012,8@0:10',
      '1,X,0x40401012,8@0:10',
      '0,R,0x403000,8@0:11',
      '0,W,0x403000,8@0:11',
      '1,R,0x40403000,8@0:11',
      '1,W,0x40403000,8@0:11',
    ]);
    // Stack regions are first touched after both code regions: slots 2 and 3.
    expect(rows).toContain('0,W,0xbf000778,8@0:13');
    expect(rows).toContain('1,W,0xff000778,8@0:13');
    expect(summary.rows).toBe(32);
  });

  it('two inputs alternate while both run; the longer one goes on alone once the other ends', async () => {
    const { rows } = await rowsOf([tiny, binTrue]);
    expect(rows.slice(0, 3)).toEqual(['0,X,0x401000,11@0:6', '1,X,0x4401ab70,3@1:6', '0,W,0x402000,8@0:7']);
    const vcpu0 = rows.filter((r) => r.startsWith('0,'));
    const vcpu1 = rows.filter((r) => r.startsWith('1,'));
    expect([vcpu0.length, vcpu1.length]).toEqual([16, 404]);
    // tiny has 15 access lines: after 15 turns each, only vCPU 1 is left.
    const lastOfVcpu0 = rows.lastIndexOf(vcpu0[vcpu0.length - 1]);
    expect(rows.slice(lastOfVcpu0 + 1).every((r) => r.startsWith('1,'))).toBe(true);
  });
});

describe('lackey importer: line rules', () => {
  const text = (lines: string[]): ImportInput => ({ name: 'mem.log', bytes: Buffer.from(lines.join('\n')) });

  it('splits an access that crosses a 1 GiB boundary at the boundary, each part in its region slot', async () => {
    const { rows } = await rowsOf([text([' L 3ffffffc,8'])]);
    expect(rows).toEqual(['0,R,0x3ffffffc,4@0:1', '0,R,0x40000000,4@0:1']);
  });

  it('keeps 64-bit addresses exact (region above 2^53) and leaves out SB lines', async () => {
    const { rows, summary } = await rowsOf([text(['SB 401000', ' S ffffffffffff1000,8'])]);
    expect(rows).toEqual(['0,W,0x3fff1000,8@0:2']);
    expect(summary.mapping).toContain('vCPU 0 virtual 0xffffffffc0000000-0xffffffffffffffff -> GPA 0x0');
    expect(summary.skipped).toEqual([{ reason: 'superblock line (SB)', count: 1, bad: false }]);
  });

  it('counts lines it does not understand, per reason, and goes on', async () => {
    const { rows, summary } = await rowsOf([text(['hello from the program', ' L 1000', ' L 1000,0', ' L 1000,12x', ' L 1000,4', ''])]);
    expect(rows).toEqual(['0,R,0x1000,4@0:5']);
    expect(summary.skipped).toEqual([
      { reason: 'not a lackey access line', count: 1, bad: true },
      { reason: 'bad address (expected hex digits, then a comma)', count: 1, bad: true },
      { reason: 'size out of range (1 byte to 1 GiB)', count: 1, bad: true },
      { reason: 'bad size (expected decimal bytes after the comma)', count: 1, bad: true },
    ]);
  });

  it('--strict stops at the first line it does not understand, with file:line and the line', async () => {
    await expect(rowsOf([text([' L 1000,4', 'I  zz,4'])], { strict: true })).rejects.toThrow(
      'mem.log:2: bad address (expected hex digits, then a comma): I  zz,4',
    );
  });

  it('reads the same rows whatever the chunk boundaries, with CRLF line ends', async () => {
    const bytes = readFileSync(fixture('lackey-tiny.log'));
    const crlf = Buffer.from(bytes.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
    const whole = await rowsOf([{ name: 'x', bytes }]);
    for (const chunkBytes of [1, 7, 64]) {
      const chunked = await rowsOf([{ name: 'x', bytes: crlf, chunkBytes }]);
      expect(chunked.rows).toEqual(whole.rows);
    }
  });
});
