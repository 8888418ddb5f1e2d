/** The job `validate` gives native/kvm-runner (pure: no KVM needed). */
import { describe, expect, it } from 'vitest';
import { buildRunnerJob, hostBackingFor } from '../src/validate/runnerJob.js';
import { parseMatrix, parseMemslots } from '../src/replay/parseMatrix.js';
import { Level } from '../src/mmu/level.js';
import { traceFromText } from './helpers/traceFromText.js';

const LAYOUT = { memslots: [], defaultSlotAlignBytes: 1 << 30 };

describe('runner job', () => {
  it('default slot, the scenario pre-fault first on vCPU 0, then the trace in order with its lines', async () => {
    const trace = await traceFromText('vcpu,op,gpa,size,x_slot\n0,R,0x1000,8,\n1,W,0x2000,0x2000,\n0,DIRTY_LOG_ON,0x0,,0\n1,X,0x5000,,\n');
    const [scenario] = parseMatrix({ backing: '4k', maxLevel: '4k', prefault: '0x0:0x4000' });
    expect(buildRunnerJob(trace, scenario, LAYOUT, '4k')).toBe(
      [
        'mmubench-kvm-job 1',
        'backing 4k',
        'guest-page 4k',
        'vcpus 2',
        'slot-zap-quirk keep',
        'slot 0 0x0 0x40000000',
        'ev 0 PREFAULT 0 0x0 0x4000 -1',
        'ev 2 R 0 0x1000 0x8 -1',
        'ev 3 W 1 0x2000 0x2000 -1',
        'ev 4 DIRTY_LOG_ON 0 0x0 0x1 0',
        'ev 5 X 1 0x5000 0x1 -1',
        'end',
        '',
      ].join('\n'),
    );
  });

  it('--memslot slots replace the default slot; --prefault all pre-faults each', async () => {
    const trace = await traceFromText('vcpu,op,gpa\n0,R,0x1000\n');
    const [scenario] = parseMatrix({ backing: '2m', maxLevel: '2m', prefault: 'all' });
    const job = buildRunnerJob(trace, scenario, { ...LAYOUT, memslots: parseMemslots(['0x0:0x200000', '0x400000:0x200000']) }, 'thp');
    expect(job.split('\n').slice(1, 10)).toEqual([
      'backing thp',
      'guest-page 2m',
      'vcpus 1',
      'slot-zap-quirk keep',
      'slot 0 0x0 0x200000',
      'slot 1 0x400000 0x200000',
      'ev 0 PREFAULT 0 0x0 0x200000 -1',
      'ev 0 PREFAULT 0 0x400000 0x200000 -1',
      'ev 2 R 0 0x1000 0x1 -1',
    ]);
  });

  it('--slot-zap slot asks the runner to disable KVM_X86_QUIRK_SLOT_ZAP_ALL; all (the default) keeps it', async () => {
    const trace = await traceFromText('vcpu,op,gpa\n0,R,0x1000\n');
    const line = (slotZap: string): string | undefined => {
      const [scenario] = parseMatrix({ backing: '4k', prefault: 'none', slotZap });
      return buildRunnerJob(trace, scenario, LAYOUT, '4k')
        .split('\n')
        .find((l) => l.startsWith('slot-zap-quirk'));
    };
    expect([line('slot'), line('all')]).toEqual(['slot-zap-quirk disable', 'slot-zap-quirk keep']);
  });

  it('a row the runner cannot make happen is a located error', async () => {
    const trace = await traceFromText('vcpu,op,gpa,size\n0,R,0x1000,8\n0,WRPROTECT,0x0,0x1000\n');
    const [scenario] = parseMatrix({ backing: '4k', prefault: 'none' });
    expect(() => buildRunnerJob(trace, scenario, LAYOUT, '4k')).toThrow(/test\.csv:3: column op: WRPROTECT cannot be made to happen in a real guest/);
  });

  it('DIRTY_LOG_GET and DIRTY_LOG_CLEAR go to the runner with their memslot and range', async () => {
    const trace = await traceFromText(
      'vcpu,op,gpa,size,x_slot\n0,DIRTY_LOG_ON,0x0,,0\n0,W,0x1000,8,\n0,DIRTY_LOG_GET,0x0,,0\n0,DIRTY_LOG_CLEAR,0x40000,0x40000,0\n',
    );
    const [scenario] = parseMatrix({ backing: '4k', prefault: 'none' });
    expect(buildRunnerJob(trace, scenario, LAYOUT, '4k').split('\n').slice(-6, -1)).toEqual([
      'ev 2 DIRTY_LOG_ON 0 0x0 0x1 0',
      'ev 3 W 0 0x1000 0x8 -1',
      'ev 4 DIRTY_LOG_GET 0 0x0 0x1 0',
      'ev 5 DIRTY_LOG_CLEAR 0 0x40000 0x40000 0',
      'end',
    ]);
  });

  it('an AT row is one of those: validate cannot make a guest hypervisor trap an AT', async () => {
    const trace = await traceFromText('vcpu,op,gpa,size,x_at\n0,R,0x1000,8,\n0,AT,0x1000,,S1E1R\n');
    const [scenario] = parseMatrix({ backing: '4k', prefault: 'none' });
    expect(() => buildRunnerJob(trace, scenario, LAYOUT, '4k')).toThrow(/test\.csv:3: column op: AT cannot be made to happen in a real guest/);
  });

  it('host backing: 4k anonymous, 2m THP or hugetlbfs, 1g hugetlbfs', () => {
    expect(hostBackingFor(Level.L4K, 'thp')).toBe('4k');
    expect(hostBackingFor(Level.L2M, 'thp')).toBe('thp');
    expect(hostBackingFor(Level.L2M, 'hugetlbfs')).toBe('hugetlb-2m');
    expect(hostBackingFor(Level.L1G, 'thp')).toBe('hugetlb-1g');
  });
});
