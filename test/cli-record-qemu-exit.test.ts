/**
 * How `mmubench record` ends, with a stand-in for QEMU (`--qemu`, a script
 * that writes plugin records to fd 3 as mmutrace.c does): a guest that
 * powers off gives a complete trace; a QEMU that fails gives exit 1, its
 * stderr, and no file.
 */
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBinaryTrace, readBinaryTraceHeader } from '../src/trace/binary/binaryTraceReader.js';
import { runCli, tempDir } from './helpers/runCli.js';

/** A fake qemu-system-x86_64: three records (X, R, W) on fd 3, then exit with FAKE_EXIT. */
const FAKE_QEMU = `#!${process.execPath}
const fs = require('node:fs');
const records = [[0xfffffff0n, 5, 0, 3], [0x7000n, 4, 0, 1], [0x9008n, 8, 0, 2]];
for (const [gpa, size, vcpu, op] of records) {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(gpa, 0); b.writeUInt32LE(size, 8); b.writeUInt16LE(vcpu, 12); b[14] = op;
  fs.writeSync(3, b);
}
if (process.env.FAKE_EXIT !== '0') process.stderr.write('qemu-system-x86_64: something failed\\n');
process.exit(Number(process.env.FAKE_EXIT));
`;

function fake(dir: string): { qemu: string; kernel: string } {
  const qemu = join(dir, 'qemu.cjs');
  writeFileSync(qemu, FAKE_QEMU);
  chmodSync(qemu, 0o755);
  const kernel = join(dir, 'vmlinuz');
  writeFileSync(kernel, '');
  return { qemu, kernel };
}

describe('mmubench record: how QEMU ends', () => {
  it('a guest that powers off (exit 0) before --max-accesses: every record is in the trace', () => {
    const dir = tempDir();
    const { qemu, kernel } = fake(dir);
    const out = join(dir, 'boot.mtr');
    const result = runCli(['record', '--out', out, '--qemu', qemu, '--kernel', kernel, '--initrd', kernel, '-q'], { FAKE_EXIT: '0' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const trace = readBinaryTrace(out);
    expect([...trace.events.op]).toEqual([3, 1, 2]);
    expect([...trace.events.gpa]).toEqual([0xfffffff0, 0x7000, 0x9008]);
    expect(readBinaryTraceHeader(out).source).toContain('rows: 3 (the guest powered off)');
    expect(existsSync(join(dir, 'boot.vm.json'))).toBe(true);
  });

  it('a QEMU that fails: exit 1 with its stderr, no trace, no layout', () => {
    const dir = tempDir();
    const { qemu, kernel } = fake(dir);
    const result = runCli(['record', '--out', join(dir, 'boot.mtr'), '--qemu', qemu, '--kernel', kernel, '--initrd', kernel, '-q'], { FAKE_EXIT: '1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('mmubench: record: QEMU exited with 1:\nqemu-system-x86_64: something failed\n');
    expect(readdirSync(dir).sort()).toEqual(['qemu.cjs', 'vmlinuz']);
  });
});
