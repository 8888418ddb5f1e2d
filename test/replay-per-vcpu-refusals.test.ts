/**
 * `mmubench run --threads per-vcpu` refuses, before any replay, what it
 * cannot replay: one line on stderr, exit 2, no report.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { expectBadInput, runCli, tempDir } from './helpers/runCli.js';

describe('mmubench run --threads per-vcpu: refusals', () => {
  it('refuses an arch that needs the whole VM serialised, with one line and exit 2', () => {
    const out = join(tempDir(), 'report');
    const result = runCli(['run', 'traces/interleaved-2vcpu.csv', '--out', out, '--threads', 'per-vcpu', '--arch', 'x86-tdx']);
    expectBadInput(result, out, '--threads per-vcpu: --arch x86-tdx is not supported (x86-tdp, arm64, pkvm, pkvm-pmd only; see docs/per-vcpu-threads.md)');
  });

  it('refuses a memslot row with its file and line', () => {
    const dir = tempDir();
    const trace = join(dir, 'slots.csv');
    writeFileSync(trace, 'vcpu,op,gpa,size,x_slot\n0,R,0x0,8,\n0,SLOT_ADD,0x40000000,0x200000,1\n');
    const out = join(dir, 'report');
    const result = runCli(['run', trace, '--out', out, '--threads', 'per-vcpu']);
    expectBadInput(
      result,
      out,
      `${trace}:3: column op: SLOT_ADD needs the whole VM serialised; --threads per-vcpu replays R, W, X, PREFAULT, UNMAP, WRPROTECT and AT rows only`,
    );
  });

  it('refuses a PREFAULT row under --prefault-policy exact, which may split a huge leaf', () => {
    const dir = tempDir();
    const trace = join(dir, 'prefault.csv');
    writeFileSync(trace, 'vcpu,op,gpa,size\n0,PREFAULT,0x0,0x200000\n1,R,0x1000,8\n');
    const out = join(dir, 'report');
    const result = runCli(['run', trace, '--out', out, '--threads', 'per-vcpu', '--prefault-policy', 'exact']);
    expectBadInput(
      result,
      out,
      `${trace}:2: column op: PREFAULT with --prefault-policy exact is not supported by --threads per-vcpu (it may split a huge leaf)`,
    );
  });

  it('refuses a PREFAULT row under --prefault-flags other than auto', () => {
    const dir = tempDir();
    const trace = join(dir, 'prefault.csv');
    writeFileSync(trace, 'vcpu,op,gpa,size\n0,PREFAULT,0x0,0x200000\n1,R,0x1000,8\n');
    const out = join(dir, 'report');
    const result = runCli(['run', trace, '--out', out, '--threads', 'per-vcpu', '--prefault-flags', 'exec']);
    expectBadInput(result, out, `${trace}:2: column op: PREFAULT with --prefault-flags exec is not supported by --threads per-vcpu (it may split a huge leaf)`);
  });

  it('names per-vcpu among the values --threads accepts', () => {
    const out = join(tempDir(), 'report');
    const result = runCli(['run', 'traces/interleaved-2vcpu.csv', '--out', out, '--threads', 'vcpu']);
    expectBadInput(result, out, '--threads: "vcpu" is not auto, per-vcpu or an integer from 0 to 256');
  });
});
