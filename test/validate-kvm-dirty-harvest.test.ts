/**
 * Dirty-log harvesting against the real KVM (native/kvm-runner on
 * /dev/kvm): the memstress dirty_log_perf_test sequence of `gen --kind
 * memstress --dirty-log`, with KVM_GET_DIRTY_LOG (get) and
 * KVM_CLEAR_DIRTY_LOG (clear). pf_fixed and the pages each harvest reports
 * dirty (one figure per pass) agree with the model. Skips, saying why,
 * where /dev/kvm or the runner is missing.
 */
import { describe, expect, it } from 'vitest';
import { MEMSTRESS_DEFAULTS, generateMemstress, type MemstressOptions } from '../src/trace/memstressGenerator.js';
import { validateRows } from './helpers/validateRows.js';
import { KVM, announceKvmSkip } from './helpers/kvmAvailability.js';

announceKvmSkip('validate-kvm-dirty-harvest');

const K4 = { backing: '4k', maxLevel: '4k' };

/** The generator's data and host rows, without its comment and header. */
function memstressRows(options: Partial<MemstressOptions>): string[] {
  return [...generateMemstress({ ...MEMSTRESS_DEFAULTS, ...options })]
    .join('')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('vcpu,'));
}

/** The validation rows of the dirty-log reads, as `line: model/kernel status`. */
function dirtyReads(report: Awaited<ReturnType<typeof validateRows>>): string[] {
  return report.rows.filter((r) => r.model.startsWith('dirty pages')).map((r) => `${r.model.split('line ')[1]}: ${r.modelValue}/${r.kernelValue} ${r.status}`);
}

describe.skipIf(!KVM.ok)('validate on /dev/kvm: dirty-log harvests', () => {
  it('get: 64 pages, 2 passes: pf_fixed 64 + 2 x 64 on both sides, each GET harvests 64 pages', async () => {
    const r = await validateRows(memstressRows({ vcpuMemoryBytes: 256 * 1024, iterations: 2, dirtyLog: 'get' }), K4);
    expect(r.rows.find((x) => x.kernel === 'pf_fixed')).toMatchObject({ modelValue: 192, kernelValue: 192, status: 'agree' });
    // Rows: 64 populate (lines 2-65), ON (66), pass 1 (67-130), GET (131), pass 2, GET (196), OFF (197), then the end read.
    expect(dirtyReads(r)).toEqual(['131: 64/64 agree', '196: 64/64 agree', '197: 0/0 agree']);
    expect(r.agree).toBe(true);
  });

  it('clear, 2 vCPUs, random pages, 50% writes: every pass harvests as many pages in the model as in KVM', async () => {
    const r = await validateRows(
      memstressRows({ vcpus: 2, vcpuMemoryBytes: 256 * 1024, iterations: 3, dirtyLog: 'clear', random: true, writePercent: 50 }),
      K4,
    );
    const fixed = r.rows.find((x) => x.kernel === 'pf_fixed')!;
    expect(fixed.status).toBe('agree');
    const reads = dirtyReads(r);
    expect(reads).toHaveLength(4); // three CLEARs and the read before DIRTY_LOG_OFF
    for (const read of reads) expect(read).toMatch(/ agree$/);
    expect(r.agree).toBe(true);
  });
});
