/**
 * `mmubench run --threads per-vcpu` end to end (the built CLI, real worker
 * threads): the totals that do not depend on timing equal the deterministic
 * replay's, races are reported in run.json, and unsupported combinations are
 * refused up front.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { expectBadInput, runCli, tempDir } from './helpers/runCli.js';

/** Columns of the totals row that must not depend on timing (traces without host events). */
const TIMING_FREE = ['accesses', 'faults_missing', 'pages_4k', 'pages_2m', 'pages_1g', 'mmu_pages', 'pages_shared', 'level_clamps', 'prefault_pages'];

type Row = Record<string, string>;

function run(trace: string, threads: string, matrix: string[]): { rows: Row[]; runJson: { threadMode?: string; deterministic?: boolean; cells: { perVcpu?: Record<string, number | boolean> }[] } } {
  const out = join(tempDir(), `report-${threads}`);
  const result = runCli(['run', trace, '--out', out, '-q', '--threads', threads, ...matrix]);
  expect(result.status, result.stderr).toBe(0);
  return {
    rows: parse(readFileSync(join(out, 'results.csv'), 'utf8'), { columns: true }) as Row[],
    runJson: JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')),
  };
}

function totals(rows: Row[]): Row[] {
  return rows.filter((r) => r.vcpu === 'all');
}

function pick(row: Row, columns: readonly string[]): Record<string, string> {
  return Object.fromEntries(columns.map((c) => [c, row[c]]));
}

describe('mmubench run --threads per-vcpu', () => {
  it('traces/interleaved-2vcpu.csv: timing-free totals equal --threads 0 (x86-tdp and arm64, prefault none and all)', () => {
    const matrix = ['--arch', 'x86-tdp,arm64', '--backing', '4k', '--prefault', 'none,all'];
    const deterministic = run('traces/interleaved-2vcpu.csv', '0', matrix);
    const perVcpu = run('traces/interleaved-2vcpu.csv', 'per-vcpu', matrix);
    expect(totals(perVcpu.rows)).toHaveLength(4);
    expect(perVcpu.rows.map((r) => [r.scenario, r.vcpu]), 'same rows, same order').toEqual(deterministic.rows.map((r) => [r.scenario, r.vcpu]));
    totals(perVcpu.rows).forEach((row, i) => expect(pick(row, TIMING_FREE), row.scenario).toEqual(pick(totals(deterministic.rows)[i], TIMING_FREE)));
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

  it('refuses an arch that needs the whole VM serialised, with one line and exit 2', () => {
    const out = join(tempDir(), 'report');
    const result = runCli(['run', 'traces/interleaved-2vcpu.csv', '--out', out, '--threads', 'per-vcpu', '--arch', 'pkvm']);
    expectBadInput(result, out, '--threads per-vcpu: --arch pkvm is not supported (x86-tdp and arm64 only; see docs/per-vcpu-threads.md)');
  });

  it('refuses a memslot row with its file and line', () => {
    const dir = tempDir();
    const trace = join(dir, 'slots.csv');
    writeFileSync(trace, 'vcpu,op,gpa,size,x_slot\n0,R,0x0,8,\n0,SLOT_ADD,0x40000000,0x200000,1\n');
    const out = join(dir, 'report');
    const result = runCli(['run', trace, '--out', out, '--threads', 'per-vcpu']);
    expectBadInput(result, out, `${trace}:3: column op: SLOT_ADD needs the whole VM serialised; --threads per-vcpu replays R, W, X, UNMAP and WRPROTECT rows only`);
  });

  it('names per-vcpu among the values --threads accepts', () => {
    const out = join(tempDir(), 'report');
    const result = runCli(['run', 'traces/interleaved-2vcpu.csv', '--out', out, '--threads', 'vcpu']);
    expectBadInput(result, out, '--threads: "vcpu" is not auto, per-vcpu or an integer from 0 to 256');
  });
});
