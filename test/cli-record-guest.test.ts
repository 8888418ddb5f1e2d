/**
 * `mmubench record` end to end on the default guest (QEMU TCG, Debian's
 * kernel, the busybox initramfs): setup installs what is missing on first
 * use (as root on Debian); where it cannot, the tests are skipped with the
 * setup's message. Checked: the first access is the reset vector's fetch,
 * two recordings are identical (one vCPU, -icount), the layout is the pc
 * map, and `run --vm --prefault none,all` replays the boot.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBinaryTrace } from '../src/trace/binary/binaryTraceReader.js';
import { pcLayout } from '../src/cli/recordLayout.js';
import { CLI, REPO_ROOT, runCli, tempDir } from './helpers/runCli.js';

/** Why record cannot run here (setup's message), or undefined when it can. */
let unavailable: string | undefined;

beforeAll(() => {
  const setup = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'setup.mjs'), '--record'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 });
  if (setup.status !== 0) {
    unavailable = setup.stderr.trim().split('\n').slice(-2).join(' ');
    console.warn(`record tests skipped: QEMU or the guest cannot be set up here: ${unavailable}`);
  }
}, 600_000);

const ACCESSES = 300_000;

describe('mmubench record (default guest)', () => {
  it('records the first accesses of the boot, the same twice, with the pc layout beside', (ctx) => {
    if (unavailable !== undefined) ctx.skip();
    const dir = tempDir();
    const traces = ['a', 'b'].map((name) => {
      const out = join(dir, `${name}.mtr`);
      const result = runCli(['record', '--out', out, '--max-accesses', String(ACCESSES), '-q']);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      return readBinaryTrace(out);
    });
    const [a, b] = traces;
    expect(a.events.count).toBe(ACCESSES);
    // x86 reset: CS base 0xffff0000, IP 0xfff0, so the first block starts at linear (= physical) 0xfffffff0,
    // SeaBIOS's reset vector: one 5-byte far jump (ljmpw), a block of its own.
    expect([a.events.op[0], a.events.vcpu[0], a.events.gpa[0], a.events.sizeBytes[0]]).toEqual([3, 0, 0xfffffff0, 5]);
    for (const column of ['op', 'vcpu', 'gpa', 'sizeBytes'] as const)
      expect(Buffer.from(b.events[column].buffer).equals(Buffer.from(a.events[column].buffer))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'a.vm.json'), 'utf8'))).toEqual(pcLayout(256 << 20));
    expect(readdirSync(dir).sort()).toEqual(['a.mtr', 'a.vm.json', 'b.mtr', 'b.vm.json']);
  }, 120_000);

  it('run --vm FILE.vm.json --prefault none,all: the boot faults without pre-population, never with it', (ctx) => {
    if (unavailable !== undefined) ctx.skip();
    const dir = tempDir();
    const out = join(dir, 'boot.mtr');
    expect(runCli(['record', '--out', out, '--max-accesses', String(ACCESSES), '-q']).status).toBe(0);
    const report = join(dir, 'report');
    const run = runCli(['run', out, '--vm', join(dir, 'boot.vm.json'), '--prefault', 'none,all', '--out', report, '--threads', '0', '-q']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const [header, ...rows] = readFileSync(join(report, 'results.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(','));
    const col = (name: string) => header.indexOf(name);
    const totals = rows.filter((r) => r[col('vcpu')] === 'all');
    const by = Object.fromEntries(totals.map((r) => [r[col('prefault')], r]));
    expect(Number(by.none[col('accesses')])).toBe(ACCESSES);
    expect(Number(by.none[col('faults_missing')])).toBeGreaterThan(0);
    expect(Number(by.all[col('faults_missing')])).toBe(0);
  }, 120_000);

  it('Ctrl-C while recording: exit 130, no trace, no layout, no temporary file, the RAM file removed', async (ctx) => {
    if (unavailable !== undefined) ctx.skip();
    const dir = tempDir();
    const child = spawn(process.execPath, [CLI, 'record', '--out', join(dir, 'boot.mtr'), '-q'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (text) => (stderr += text));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Wait until records are being spooled (the sink's temporary file exists), then interrupt.
    while (!readdirSync(dir).some((name) => name.includes('.tmp-'))) await new Promise((resolve) => setImmediate(resolve));
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(stderr).toContain('mmubench: interrupted, stopping QEMU');
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(`/dev/shm/mmubench-ram-${child.pid}`)).toBe(false);
  }, 120_000);

  it('refuses an --out that is not .mtr and a bad --memory with exit 2, before starting QEMU', () => {
    const dir = tempDir();
    const csv = runCli(['record', '--out', join(dir, 'boot.csv')]);
    expect(csv.status).toBe(2);
    expect(csv.stderr).toBe(`mmubench: --out: "${join(dir, 'boot.csv')}" must end in .mtr\n`);
    const memory = runCli(['record', '--out', join(dir, 'boot.mtr'), '--memory', '3000000']);
    expect(memory.status).toBe(2);
    expect(memory.stderr).toBe('mmubench: --memory: "3000000" is not a multiple of 2 MiB from 64 MiB to 16 GiB, in bytes\n');
    expect(existsSync(join(dir, 'boot.mtr'))).toBe(false);
  });
});
