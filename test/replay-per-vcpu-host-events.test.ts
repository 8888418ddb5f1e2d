/**
 * `mmubench run --threads per-vcpu` with host-side events on both vCPUs (the
 * built CLI, real worker threads): UNMAP and WRPROTECT take the write lock
 * and post flush requests while the other vCPU faults.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/runCli.js';
import { run, totals, type Row } from './helpers/perVcpuRun.js';

describe('mmubench run --threads per-vcpu: host events', () => {
  it('UNMAP and WRPROTECT on both vCPUs: the cells finish, the final table matches the counters, accesses are unchanged', () => {
    const dir = tempDir();
    const trace = join(dir, 'host.csv');
    const rows = ['vcpu,op,gpa,size'];
    // Two vCPUs over the same 64 pages; every 50th row a host event on 16 KiB of them: WRPROTECT on vCPU 0, UNMAP on vCPU 1.
    for (let i = 0; i < 4000; i++) {
      const vcpu = i % 2;
      const page = (i * 7) % 64;
      if (i % 50 === 49) rows.push(`${Math.floor(i / 50) % 2},${i % 100 === 99 ? 'UNMAP' : 'WRPROTECT'},0x${((page & ~3) * 4096).toString(16)},0x4000`);
      else rows.push(`${vcpu},${i % 3 === 0 ? 'W' : 'R'},0x${(page * 4096).toString(16)},8`);
    }
    writeFileSync(trace, rows.join('\n') + '\n');
    const matrix = ['--arch', 'x86-tdp,arm64', '--backing', '4k', '--prefault', 'none'];
    const deterministic = run(trace, '0', matrix);
    // A mismatch between the shared table and the counters would fail the cell (exit 1).
    const perVcpu = run(trace, 'per-vcpu', matrix);
    const accesses = (r: { rows: Row[] }): string[] => r.rows.map((row) => row.accesses);
    expect(accesses(perVcpu), 'each vCPU replays all its rows').toEqual(accesses(deterministic));
    // Hand check: the 80 host rows take odd row numbers (vCPU 1's); vCPU 0 keeps 2000 accesses, vCPU 1 has 1920.
    expect(accesses(perVcpu).slice(0, 3)).toEqual(['2000', '1920', '3920']);
    for (const row of totals(perVcpu.rows)) {
      expect(Number(row.flush_requests), `${row.scenario}: at most one flush per host event`).toBeLessThanOrEqual(80);
      expect(Number(row.pages_4k), `${row.scenario}: at most the 64 pages`).toBeLessThanOrEqual(64);
    }
  });
});
