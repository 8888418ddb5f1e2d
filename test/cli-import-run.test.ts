/**
 * `mmubench run FORMAT:path` end to end: a lackey log (and an ftrace capture)
 * replayed straight from the importer produce a report, with the same results
 * as running the imported CSV file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectBadInput, runCli, tempDir } from './helpers/runCli.js';

/** results.csv rows as objects, keyed by header. */
function results(dir: string): Record<string, string>[] {
  const [header, ...rows] = readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n');
  const keys = header.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((cell, i) => [keys[i], cell])));
}

describe('mmubench run FORMAT:path', () => {
  it('run lackey:LOG writes a report: 404 accesses, 6 faults at 4k (6 distinct pages), 2 at 2m (loader and stack 2M pages)', () => {
    const out = join(tempDir(), 'report');
    const result = runCli(['run', 'lackey:test/fixtures/lackey-true.log', '--out', out, '--max-level', '4k,2m', '--threads', '0', '-q']);
    expect(result.status, result.stderr).toBe(0);
    for (const file of ['results.csv', 'run.json', 'index.html', 'summary.md']) expect(existsSync(join(out, file)), file).toBe(true);
    const totals = results(out)
      .filter((r) => r.vcpu === 'all' && r.prefault === 'none')
      .map((r) => [r.trace, r.max_level, r.accesses, r.faults]);
    expect(totals).toEqual([
      ['lackey-true.log', '4k', '404', '6'],
      ['lackey-true.log', '2m', '404', '2'],
    ]);
  });

  it('gives the same results as importing to CSV first and running the file', () => {
    const dir = tempDir();
    const csv = join(dir, 'lackey-true.csv');
    const direct = join(dir, 'direct');
    const viaFile = join(dir, 'via-file');
    expect(runCli(['run', 'lackey,vcpus=2:test/fixtures/lackey-true.log', '--out', direct, '--threads', '0', '-q']).status).toBe(0);
    expect(runCli(['import', '--format', 'lackey', '--vcpus', '2', 'test/fixtures/lackey-true.log', '--out', csv, '-q']).status).toBe(0);
    expect(runCli(['run', csv, '--out', viaFile, '--threads', '0', '-q']).status).toBe(0);
    const strip = (rows: Record<string, string>[]) => rows.map(({ trace: _trace, ...rest }) => rest);
    expect(strip(results(direct))).toEqual(strip(results(viaFile)));
    // Two copies of the program, one per vCPU: twice the accesses of one.
    expect(results(direct).find((r) => r.vcpu === 'all' && r.prefault === 'none')?.accesses).toBe('808');
  });

  it('run ftrace,gpa-below=...:CAPTURE replays the 300 written pages: 300 faults at 4k', () => {
    const out = join(tempDir(), 'report');
    const spec = 'ftrace,gpa-below=0x40000000:test/fixtures/ftrace-kvmmmu-shadow-4k.txt';
    const result = runCli(['run', spec, '--out', out, '--max-level', '4k', '--threads', '0', '-q']);
    expect(result.status, result.stderr).toBe(0);
    const all = results(out).find((r) => r.vcpu === 'all' && r.prefault === 'none');
    expect([all?.trace, all?.accesses, all?.faults, all?.pages_4k]).toEqual(['ftrace-kvmmmu-shadow-4k.txt', '300', '300', '300']);
  });

  it('a bad import spec or a missing log is bad input, with no report', () => {
    const out = join(tempDir(), 'report');
    expectBadInput(
      runCli(['run', 'lackey,vcpus=0:test/fixtures/lackey-true.log', '--out', out]),
      out,
      'lackey,vcpus=0:test/fixtures/lackey-true.log: --vcpus: "0" is not an integer from 1 to 4096',
    );
    expectBadInput(runCli(['run', 'lackey:test/fixtures/nope.log', '--out', out]), out, 'test/fixtures/nope.log: no such file');
    expectBadInput(
      runCli(['run', 'lackey,speed=9:test/fixtures/lackey-true.log', '--out', out]),
      out,
      'lackey,speed=9:test/fixtures/lackey-true.log: "speed=9" is not an import option',
      'prefix',
    );
  });
});
