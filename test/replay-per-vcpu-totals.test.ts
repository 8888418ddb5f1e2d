/**
 * `mmubench run --threads per-vcpu` end to end (the built CLI, real worker
 * threads): the totals that do not depend on timing equal the deterministic
 * replay's, and races are reported in run.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/runCli.js';
import { TIMING_FREE, pick, run, totals } from './helpers/perVcpuRun.js';

describe('mmubench run --threads per-vcpu: timing-free totals', () => {
  it('traces/interleaved-2vcpu.csv: timing-free totals equal --threads 0 (x86-tdp and arm64, prefault none and all)', () => {
    const matrix = ['--arch', 'x86-tdp,arm64', '--backing', '4k', '--prefault', 'none,all'];
    const deterministic = run('traces/interleaved-2vcpu.csv', '0', matrix);
    const perVcpu = run('traces/interleaved-2vcpu.csv', 'per-vcpu', matrix);
    expect(totals(perVcpu.rows)).toHaveLength(4);
    expect(
      perVcpu.rows.map((r) => [r.scenario, r.vcpu]),
      'same rows, same order',
    ).toEqual(deterministic.rows.map((r) => [r.scenario, r.vcpu]));
    totals(perVcpu.rows).forEach((row, i) => {
      expect(pick(row, TIMING_FREE), row.scenario).toEqual(pick(totals(deterministic.rows)[i], TIMING_FREE));
    });
    // Hand check, x86-tdp 4k prefault none: each vCPU streams 10000 pages of its own 128 MiB half.
    expect(pick(totals(perVcpu.rows)[0], ['scenario', 'faults_missing', 'pages_4k'])).toEqual({
      scenario: 'x86-tdp max=1g backing=4k prefault=none tlb=1536x12',
      faults_missing: '20000',
      pages_4k: '20000',
    });
    expect(perVcpu.runJson.threadMode).toBe('per-vcpu');
    expect(perVcpu.runJson.deterministic, 'two vCPU workers ran').toBe(false);
    expect(deterministic.runJson.threadMode, 'the default mode adds no field').toBeUndefined();
  });

  it('two vCPUs faulting the same pages in lockstep: same pages and fixed faults; every lost race is a spurious fault', () => {
    const dir = tempDir();
    const trace = join(dir, 'lockstep.csv');
    const rows = ['vcpu,op,gpa,size'];
    for (let page = 0; page < 3000; page++) rows.push(`0,R,0x${(page * 4096).toString(16)},8`, `1,W,0x${(page * 4096 + 8).toString(16)},8`);
    writeFileSync(trace, rows.join('\n') + '\n');
    const matrix = ['--backing', '4k', '--prefault', 'none'];
    const [deterministic] = totals(run(trace, '0', matrix).rows);
    const perVcpu = run(trace, 'per-vcpu', matrix);
    const [total] = totals(perVcpu.rows);
    expect(pick(total, TIMING_FREE)).toEqual(pick(deterministic, TIMING_FREE));
    expect(total.pages_4k, 'one 4K leaf per page').toBe('3000');
    expect(total.faults_missing, 'one fixed fault per page, whichever vCPU won').toBe('3000');
    expect(Number(total.faults), 'faults = fixed + spurious').toBe(3000 + Number(total.faults_spurious));
    const report = perVcpu.runJson.cells[0].perVcpu!;
    expect(report.faults_spurious, 'run.json repeats the spurious count').toBe(Number(total.faults_spurious));
    expect(Number(total.faults_spurious)).toBeGreaterThanOrEqual(report.install_races as number);
    expect(report.frames_mapped).toBe(3000);
  });
});
