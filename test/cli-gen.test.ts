/**
 * `mmubench gen`: seeded synthetic traces. The same flags give the same file,
 * a different seed a different one, the file is the generator's lines (it is
 * written in blocks of lines), every kind writes a trace `run` accepts, and an
 * unknown kind is bad usage.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers/runCli.js';
import { GENERATOR_DEFAULTS, generateTrace } from '../src/trace/generators.js';

/** `gen ...flags --out DIR/NAME`; fails the test unless it exits 0. Returns the file's bytes and path. */
function gen(dir: string, name: string, flags: string[]): { path: string; bytes: Buffer } {
  const path = join(dir, name);
  const result = runCli(['gen', ...flags, '--out', path]);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return { path, bytes: readFileSync(path) };
}

describe('mmubench gen', () => {
  it('writes identical files for the same flags', () => {
    const dir = tempDir();
    const flags = ['--kind', 'random', '--seed', '7', '--accesses', '100'];
    const a = gen(dir, 'a.csv', flags);
    const b = gen(dir, 'b.csv', flags);
    expect(a.bytes.length).toBeGreaterThan(0);
    expect(b.bytes.equals(a.bytes)).toBe(true);
  });

  it('writes different files for different seeds', () => {
    const dir = tempDir();
    const seven = gen(dir, 'seven.csv', ['--kind', 'random', '--seed', '7', '--accesses', '100']);
    const eight = gen(dir, 'eight.csv', ['--kind', 'random', '--seed', '8', '--accesses', '100']);
    expect(eight.bytes.equals(seven.bytes)).toBe(false);
  });

  it("writes the generator's lines, each ended by a newline, across the blocks it writes them in", () => {
    // 2 header lines + 9000 rows: three blocks of up to 4096 lines, the last one partial.
    const dir = tempDir();
    const trace = gen(dir, 'random.csv', ['--kind', 'random', '--seed', '5', '--accesses', '9000', '--vcpus', '3']);
    const lines = [...generateTrace({ ...GENERATOR_DEFAULTS, kind: 'random', seed: 5, accesses: 9000, vcpus: 3 })];
    expect(lines.length).toBe(9002);
    expect(trace.bytes.toString('latin1')).toBe(lines.join('\n') + '\n');
  });

  it.each(['boot', 'random', 'hotcold', 'interleaved', 'nested'])('kind %s: writes a trace that run accepts', (kind) => {
    const dir = tempDir();
    const trace = gen(dir, `${kind}.csv`, ['--kind', kind, '--seed', '7', '--accesses', '100', '--vcpus', '2']);
    const out = join(dir, 'report');
    const result = runCli(['run', trace.path, '--out', out, '-q', '--threads', '0']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(existsSync(join(out, 'results.csv'))).toBe(true);
  });

  it('exits 2 on --kind nope and writes nothing', () => {
    const dir = tempDir();
    const result = runCli(['gen', '--kind', 'nope', '--out', join(dir, 'nope.csv')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("'nope'");
    expect(readdirSync(dir)).toEqual([]);
  });

  it('kind nested: ATs over the working set, and every 1024 rows an UNMAP, in turn of the working set and of the guest tables at the top of the default slot', () => {
    const dir = tempDir();
    const trace = gen(dir, 'nested.csv', ['--kind', 'nested', '--seed', '3', '--accesses', '2048', '--memory', '0x10000000', '--hot', '0x400000']);
    const lines = trace.bytes.toString('utf8').trimEnd().split('\n');
    expect(lines[1]).toBe('vcpu,op,gpa,size,x_at');
    const rows = lines.slice(2);
    expect(rows).toHaveLength(2048 + 2);
    // 256 MiB of memory: the default slot is 1 GiB, its top 2 MiB hold the guest stage-1 tables.
    const unmaps = rows.filter((r) => r.includes(',UNMAP,'));
    expect(unmaps).toHaveLength(2);
    expect(unmaps[0]).toMatch(/^0,UNMAP,0x(0|200000),0x200000,$/); // one of the two 2 MiB ranges of the 4 MiB working set
    expect(unmaps[1]).toBe('0,UNMAP,0x3fe00000,0x200000,');
    const ats = rows.filter((r) => r.includes(',AT,'));
    // About one row in 8 (seeded: the count is fixed for seed 3); every AT names a working-set page.
    expect(ats.length).toBeGreaterThan(2048 / 8 - 64);
    expect(ats.length).toBeLessThan(2048 / 8 + 64);
    for (const row of ats) expect(Number(row.split(',')[2]) < 0x400000).toBe(true);
    const out = join(dir, 'report');
    const result = runCli(['run', trace.path, '--out', out, '-q', '--threads', '0', '--arch', 'arm64', '--guest-levels', '4']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
