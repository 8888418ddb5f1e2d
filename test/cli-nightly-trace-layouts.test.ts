/**
 * nightly: `.mtr` traces in traceDir are replayed too, and a trace with a
 * NAME.vm.json beside it replays in that layout's memslots (as the bundled
 * recorded boot does), while the others keep the default slot.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers/runCli.js';

describe('mmubench nightly: traces with their own layout', () => {
  it('a.mtr with a.vm.json: the access at 2 GiB is MMIO (no slot there); b.csv without one: its default slot covers it', () => {
    const dir = tempDir();
    const traces = join(dir, 'traces');
    const csv = 'vcpu,op,gpa,size\n0,R,0x1000,8\n0,R,0x80000000,8\n';
    const setup = join(dir, 'a.csv');
    writeFileSync(setup, csv);
    expect(runCli(['convert', setup, join(dir, 'a.mtr')]).status).toBe(0);
    // traceDir: a.mtr + a.vm.json (one 1 GiB slot from 0), b.csv (the same rows, no layout).
    mkdirSync(traces);
    renameSync(join(dir, 'a.mtr'), join(traces, 'a.mtr'));
    writeFileSync(join(traces, 'a.vm.json'), JSON.stringify({ memslots: [{ gpa: '0x0', size: '0x40000000' }] }));
    writeFileSync(join(traces, 'b.csv'), csv);
    const config = join(dir, 'nightly.json');
    writeFileSync(config, JSON.stringify({ traceDir: traces, matrix: { backing: '4k', prefault: 'none' } }));
    const reports = join(dir, 'reports');
    const result = runCli(['nightly', '--config', config, '--reports', reports, '--threads', '0', '--bench-time', '0', '-q']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const folder = readdirSync(reports).find((name) => /^\d{4}-/.test(name))!;
    const [header, ...rows] = readFileSync(join(reports, folder, 'results.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(','));
    const col = (name: string) => header.indexOf(name);
    const mmio = Object.fromEntries(rows.filter((r) => r[col('vcpu')] === 'all').map((r) => [r[col('trace')], Number(r[col('faults_mmio')])]));
    expect(mmio).toEqual({ a: 1, b: 0 });
  });
});
