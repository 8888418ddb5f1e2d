/**
 * Cost estimates (src/replay/estimateCosts.ts): the arithmetic on
 * hand-checked cells, the level approximations, and the profile file's
 * checks (src/replay/costProfile.ts).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimateCosts, faultsByLevel, prefaultStepsByLevel } from '../src/replay/estimateCosts.js';
import { COST_KEYS, DEFAULT_COSTS, parseCostProfile, type CostProfile } from '../src/replay/costProfile.js';
import type { CellResult } from '../src/replay/results.js';
import { replayText } from './helpers/traceFromText.js';
import { runCli, tempDir, fixture } from './helpers/runCli.js';

/** Round prices, so every product below is checkable by hand. */
const COSTS: CostProfile = {
  fault_missing_4k: 1000,
  fault_missing_2m: 3000,
  fault_missing_1g: 9000,
  fault_permission: 500,
  fault_spurious: 200,
  fault_mmio: 20000,
  prefault_4k: 100,
  prefault_2m: 400,
  prefault_1g: 1600,
  walk_ref: 2.5,
  tlb_miss: 1,
  flush_range: 50,
  flush_full: 70,
  flush_ipi: 3000,
  hypercall: 800,
  eager_split: 600,
};

/** A cell with only the named counters set (the others 0). */
function cellWith(counters: Record<string, number>): CellResult {
  const total: Record<string, number> = {};
  const vm: Record<string, number> = {};
  for (const [name, value] of Object.entries(counters)) (/^(pages_|flush|hypercalls|tlb_entries)/.test(name) ? vm : total)[name] = value;
  return { trace: 't', total, vm, vcpus: [total] } as unknown as CellResult;
}

describe('estimated stage-2 time', () => {
  it('prices a hand-made cell part by part', () => {
    // Faults: 5 missing, 3 of them 2M (3 pages_2m), so 2 x 4K: 2*1000 + 3*3000 = 11000;
    // 4 permission 4*500 = 2000; 1 spurious 200; 1 mmio 20000 -> 33200.
    // Walk: 40 refs * 2.5 + 10 misses * 1 = 110. Flush: 2*50 + 1*70 + 3*3000 = 9170.
    // Hypercalls 0, splits 0 (the model counts none). Total 33200 + 110 + 9170 = 42480.
    const cell = cellWith({
      faults_missing: 5,
      faults_permission: 4,
      faults_spurious: 1,
      faults_mmio: 1,
      pages_2m: 3,
      pages_4k: 7,
      walk_refs: 40,
      tlb_misses: 10,
      flushes_range: 2,
      flushes_full: 1,
      flush_ipis: 3,
    });
    expect(estimateCosts(cell, COSTS)).toEqual({
      est_stage2_ns: 42480,
      est_fault_ns: 33200,
      est_prefault_ns: 0,
      est_walk_ns: 110,
      est_flush_ns: 9170,
      est_hypercall_ns: 0,
      est_split_ns: 0,
    });
  });

  it('pre-fault steps: 1G leaves it covers whole, then 2M, then 4K frames', () => {
    // 262144 + 2*512 + 3 frames, with 1 x 1G and 2 x 2M leaves at the end:
    // 1 step at 1G, 2 at 2M, 3 at 4K: 1600 + 2*400 + 3*100 = 2700 ns.
    const cell = cellWith({ prefault_pages: 262144 + 1024 + 3, pages_1g: 1, pages_2m: 2 });
    expect(prefaultStepsByLevel(cell)).toEqual([3, 2, 1]);
    expect(estimateCosts(cell, COSTS).est_prefault_ns).toBe(2700);
    // Without the leaves at the end, the same frames are all 4K steps.
    expect(prefaultStepsByLevel(cellWith({ prefault_pages: 1027 }))).toEqual([1027, 0, 0]);
  });

  it('uses exact per-level counters when the model has them', () => {
    const cell = cellWith({ faults_missing: 9, faults_missing_4k: 1, faults_missing_2m: 2, faults_missing_1g: 6, pages_2m: 9 });
    expect(faultsByLevel(cell)).toEqual([1, 2, 6]);
  });

  it('a replayed trace: 4 distinct 4 KiB pages on 4K backing are 4 x fault_missing_4k', async () => {
    // R 0x0, R 0x1000, W 0x2000, R 0x200000, R 0x0: 4 missing faults, all 4K
    // (backing 4k). 5 lookups, 4 misses, each a 4-level walk: 16 refs.
    const csv = 'vcpu,op,gpa,size\n0,R,0x0,8\n0,R,0x1000,8\n0,W,0x2000,8\n0,R,0x200000,8\n0,R,0x0,8\n';
    const result = await replayText(csv, { backing: '4k', prefault: 'none' }, [{ gpa: 0, sizeBytes: 4 << 20 }]);
    expect([result.total.faults_missing, result.total.tlb_misses, result.total.walk_refs]).toEqual([4, 4, 16]);
    const est = estimateCosts(result, COSTS);
    expect(est.est_fault_ns).toBe(4000);
    expect(est.est_walk_ns).toBe(16 * 2.5 + 4 * 1);
    expect(est.est_stage2_ns).toBe(4000 + 44 + est.est_flush_ns);
  });
});

describe('cost profile file', () => {
  it('the built-in profile is the costs of docs/calibration-project-host.json', () => {
    const file = JSON.parse(readFileSync(new URL('../docs/calibration-project-host.json', import.meta.url), 'utf8')) as { costs: CostProfile };
    expect(DEFAULT_COSTS.profile).toEqual(file.costs);
    expect(Object.keys(DEFAULT_COSTS.profile)).toEqual([...COST_KEYS]);
  });

  it('a key left out keeps its built-in value; host is kept', () => {
    const p = parseCostProfile('{"costs": {"walk_ref": 7}, "host": "h"}', 'c.json');
    expect(p).toEqual({ source: 'c.json', host: 'h', profile: { ...DEFAULT_COSTS.profile, walk_ref: 7 } });
  });

  it('names every bad key and value, one line each', () => {
    const text = '{"costs": {"walk_ref": -1, "tlb_mis": 3, "flush_ipi": "9"}}';
    expect(() => parseCostProfile(text, 'c.json')).toThrow(
      [
        'c.json: costs.walk_ref: -1 is not a number of ns >= 0',
        `c.json: costs.tlb_mis: unknown key (keys: ${COST_KEYS.join(', ')})`,
        'c.json: costs.flush_ipi: "9" is not a number of ns >= 0',
      ].join('\n'),
    );
    expect(() => parseCostProfile('[1]', 'c.json')).toThrow(/expected \{"costs"/);
    expect(() => parseCostProfile('{', 'c.json')).toThrow(/c.json: not JSON/);
  });

  it('run --costs FILE prices results.csv and run.json with the file (keys left out stay built-in)', () => {
    // tiny-valid.csv on 4K backing, max 4k: three 4 KiB pages touched, 3 missing faults, all 4K.
    const dir = tempDir();
    const costs = join(dir, 'costs.json');
    writeFileSync(costs, JSON.stringify({ host: 'test', costs: { fault_missing_4k: 1000, walk_ref: 0, tlb_miss: 0 } }));
    const out = join(dir, 'report');
    const r = runCli(['run', fixture('tiny-valid.csv'), '--out', out, '--costs', costs, '--backing', '4k', '--max-level', '4k', '--prefault', 'none', '-q']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    const [header, ...rows] = readFileSync(join(out, 'results.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    const all = rows.find((row) => row[header.indexOf('vcpu')] === 'all')!;
    expect(all[header.indexOf('faults_missing')]).toBe('3');
    expect(all[header.indexOf('est_fault_ns')]).toBe('3000');
    expect(all[header.indexOf('est_walk_ns')]).toBe('0');
    // Per-vCPU rows leave the estimates empty (they price VM-wide counters too).
    expect(rows.find((row) => row[header.indexOf('vcpu')] === '0')![header.indexOf('est_stage2_ns')]).toBe('');
    const json = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(json.costs).toEqual({ source: costs, host: 'test', profile: { ...DEFAULT_COSTS.profile, fault_missing_4k: 1000, walk_ref: 0, tlb_miss: 0 } });
    expect(json.cells[0].estimates.est_fault_ns).toBe(3000);
  });

  it('nightly --costs with a bad file exits 2 and writes no report', () => {
    const dir = tempDir();
    const costs = join(dir, 'bad.json');
    writeFileSync(costs, '{"costs": {"flush_full": null}}');
    const reports = join(dir, 'reports');
    const r = runCli(['nightly', '--config', fixture('nightly-tiny.json'), '--reports', reports, '--bench-time', '0', '--costs', costs, '-q']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`mmubench: ${costs}: costs.flush_full: null is not a number of ns >= 0\n`);
    expect(existsSync(reports) ? readdirSync(reports) : []).toEqual([]);
  });

  it('run --costs with a bad file exits 2 before any replay and writes no report', () => {
    const dir = tempDir();
    const costs = join(dir, 'bad.json');
    writeFileSync(costs, '{"costs": {"fault_missing_4k": "fast"}}');
    const out = join(dir, 'report');
    const r = runCli(['run', fixture('tiny-valid.csv'), '--out', out, '--costs', costs, '-q']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`mmubench: ${costs}: costs.fault_missing_4k: "fast" is not a number of ns >= 0\n`);
    expect(existsSync(out)).toBe(false);
    const missing = runCli(['run', fixture('tiny-valid.csv'), '--out', out, '--costs', join(dir, 'none.json'), '-q']);
    expect(missing.stderr).toBe(`mmubench: --costs: ${join(dir, 'none.json')}: no such file\n`);
  });
});
