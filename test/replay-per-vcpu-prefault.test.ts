/**
 * `mmubench run --threads per-vcpu` with PREFAULT rows (the built CLI, real
 * worker threads): KVM_PRE_FAULT_MEMORY on one vCPU races with the other
 * vCPU's faults on the same memory; the final mappings do not depend on who wins.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/runCli.js';
import { pick, run, totals } from './helpers/perVcpuRun.js';

describe('mmubench run --threads per-vcpu: PREFAULT rows', () => {
  it('PREFAULT on vCPU 0 while vCPU 1 reads the same memory: the same final mappings', () => {
    const dir = tempDir();
    const trace = join(dir, 'prefault.csv');
    const rows = ['vcpu,op,gpa,size', '0,PREFAULT,0x0,0x800000'];
    for (let page = 0; page < 4096; page++) rows.push(`1,R,0x${(page * 4096).toString(16)},8`);
    writeFileSync(trace, rows.join('\n') + '\n');
    const matrix = ['--backing', '4k', '--prefault', 'none'];
    const columns = ['accesses', 'prefault_calls', 'pages_4k', 'pages_2m', 'mmu_pages'];
    const [deterministic] = totals(run(trace, '0', matrix).rows);
    const [total] = totals(run(trace, 'per-vcpu', matrix).rows);
    expect(pick(total, columns)).toEqual(pick(deterministic, columns));
    expect(total.pages_4k, '16 MiB of 4K pages: 8 MiB pre-faulted or faulted, 8 MiB faulted').toBe('4096');
    expect(Number(total.faults_missing) + Number(total.prefault_pages), 'each page mapped once, by one or the other').toBe(4096);
  });
});
