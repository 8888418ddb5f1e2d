import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const HEADER = 'vcpu,op,gpa,size,x_slot\n';
const SLOT = [{ gpa: 0, sizeBytes: 4 << 20 }];
const HUGE = { backing: '2m', maxLevel: '2m' };
const LOG_ON = '0,DIRTY_LOG_ON,0x0,,0\n';
const LOG_OFF = '0,DIRTY_LOG_OFF,0x0,,0\n';

describe('dirty logging: eager split and huge-page recovery', () => {
  it('eager split (x86 default) splits the 2M mapping to 4K when logging starts', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8,\n' + LOG_ON, HUGE, SLOT);
    expect(r.vm.pages_2m).toBe(0);
    expect(r.vm.pages_4k).toBe(512);
    // PDPT, PD, and the PT made by the split.
    expect(r.vm.mmu_pages).toBe(3);
  });

  it('without eager split the 2M mapping stays until the first write splits it', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8,\n' + LOG_ON, { ...HUGE, eagerSplit: 'off' }, SLOT);
    expect(r.vm.pages_2m).toBe(1);
    expect(r.vm.pages_4k).toBe(0);
  });

  it('recover (x86 default): logging off turns the 4K leaves back into one 2M leaf without a fault', async () => {
    const r = await replayText(HEADER + LOG_ON + '0,W,0x0,8,\n0,W,0x1000,8,\n' + LOG_OFF + '0,R,0x2000,8,\n', HUGE, SLOT);
    expect(r.vm.pages_4k).toBe(0);
    expect(r.vm.pages_2m).toBe(1);
    expect(r.total.faults_missing).toBe(2);
  });

  it('zap: logging off zaps the 4K leaves; the next access faults and maps 2M', async () => {
    const r = await replayText(HEADER + LOG_ON + '0,W,0x0,8,\n0,W,0x1000,8,\n' + LOG_OFF + '0,R,0x2000,8,\n', { ...HUGE, dirtyLogOff: 'zap' }, SLOT);
    expect(r.vm.pages_4k).toBe(0);
    expect(r.vm.pages_2m).toBe(1);
    expect(r.total.faults_missing).toBe(3);
  });

  it('arm64: a write under logging breaks the block and maps only the written page', async () => {
    const r = await replayText(HEADER + '0,R,0x0,8,\n' + LOG_ON + '0,W,0x5000,8,\n0,R,0x6000,8,\n', { ...HUGE, arch: 'arm64' }, SLOT);
    expect(r.vm.pages_2m).toBe(0);
    expect(r.vm.pages_4k).toBe(2);
    // The write: permission fault on the block; the read of 0x6000: its mapping went with the block.
    expect(r.total.faults_permission).toBe(1);
    expect(r.total.faults_missing).toBe(2);
  });

  it('arm64 keeps 4K mappings after logging stops', async () => {
    const r = await replayText(HEADER + LOG_ON + '0,W,0x0,8,\n' + LOG_OFF, { ...HUGE, arch: 'arm64' }, SLOT);
    expect(r.vm.pages_4k).toBe(1);
    expect(r.vm.pages_2m).toBe(0);
  });
});
