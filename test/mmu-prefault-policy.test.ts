import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size\n';
const SLOT = [{ gpa: 0, sizeBytes: 4 << 20 }];

describe('pre-fault level policy', () => {
  it('exact (seed 002): a 4 KiB request on 2M backing maps only 4 KiB', async () => {
    const r = await replayText(HEADER + '0,PREFAULT,0x1000,4096\n', { backing: '2m', prefaultPolicy: 'exact' }, SLOT);
    expect(r.vm.pages_4k).toBe(1);
    expect(r.vm.pages_2m).toBe(0);
    expect(r.total.prefault_pages).toBe(1);
  });

  it('exact: a 2M-aligned 2 MiB request maps one 2M page', async () => {
    const r = await replayText(HEADER + '0,PREFAULT,0x200000,0x200000\n', { backing: '2m', prefaultPolicy: 'exact' }, SLOT);
    expect(r.vm.pages_2m).toBe(1);
    expect(r.total.prefault_pages).toBe(512);
  });

  it('pKVM protected VMs have no pre-fault: EOPNOTSUPP', async () => {
    const r = await replayText(HEADER + '0,PREFAULT,0x0,4096\n', { arch: 'pkvm' }, SLOT);
    expect(r.prefaultCalls.map((c) => c.result)).toEqual([-95]);
    expect(r.vm.pages_4k).toBe(0);
  });
});
