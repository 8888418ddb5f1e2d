import { describe, expect, it } from 'vitest';
import { accessRows, replayText } from './helpers/traceFromText.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const HEADER = 'vcpu,op,gpa,size\n';

describe('guest fault counts (x86-tdp)', () => {
  // 10 distinct 4 KiB pages, some touched twice, spread over 3 MiB.
  const pages = [0, 1, 2, 7, 100, 511, 512, 513, 700, 767];
  const gpas = [...pages, 1, 512, 700].map((p) => p * 4 * KiB);

  it('4K backing: one missing fault and one pages_4k per distinct page', async () => {
    const r = await replayText(HEADER + accessRows('R', gpas), { backing: '4k' });
    expect(r.total.accesses).toBe(13);
    expect(r.total.faults).toBe(10);
    expect(r.total.faults_missing).toBe(10);
    expect(r.vm.pages_4k).toBe(10);
    expect(r.vm.pages_2m).toBe(0);
    // Root's children: one PDPT, one PD, two PTs (pages 0-511 and 512-1023).
    expect(r.vm.mmu_pages).toBe(4);
  });

  it('--prefault all: no guest fault, every page of the 1 GiB default slot mapped by one ioctl', async () => {
    const r = await replayText(HEADER + accessRows('R', gpas), { backing: '4k', prefault: 'all' });
    expect(r.total.faults).toBe(0);
    expect(r.total.prefault_calls).toBe(1);
    expect(r.total.prefault_pages).toBe(262144);
    expect(r.vm.pages_4k).toBe(262144);
  });

  it('2M backing, aligned slot, --max-level 2m: one fault per distinct 2 MiB region', async () => {
    // Regions: pages 0-511 -> region 0, 512-767 -> region 1.
    const r = await replayText(HEADER + accessRows('W', gpas), { backing: '2m', maxLevel: '2m' });
    expect(r.total.faults).toBe(2);
    expect(r.vm.pages_2m).toBe(2);
    expect(r.vm.pages_4k).toBe(0);
  });

  it('2M backing but --max-level 4k: 4K mappings', async () => {
    const r = await replayText(HEADER + accessRows('W', gpas), { backing: '2m', maxLevel: '4k' });
    expect(r.total.faults).toBe(10);
    expect(r.vm.pages_4k).toBe(10);
  });

  it('1G backing and --max-level 1g: one 1 GiB mapping for the whole default slot', async () => {
    const r = await replayText(HEADER + accessRows('R', gpas), { backing: '1g', maxLevel: '1g' });
    expect(r.total.faults).toBe(1);
    expect(r.vm.pages_1g).toBe(1);
  });

  it('an access crossing a 4 KiB boundary looks up and faults both pages', async () => {
    const r = await replayText(HEADER + '0,R,0xffc,8\n', { backing: '4k' });
    expect(r.total.accesses).toBe(1);
    expect(r.total.tlb_misses).toBe(2);
    expect(r.total.faults).toBe(2);
    expect(r.vm.pages_4k).toBe(2);
  });

  it('an access outside every memslot is an MMIO fault and maps nothing', async () => {
    const r = await replayText(HEADER + '0,R,0x200000,8\n0,R,0x1000,8\n', { backing: '4k' }, [{ gpa: 0, sizeBytes: 2 * MiB }]);
    expect(r.total.faults_mmio).toBe(1);
    expect(r.total.faults_missing).toBe(1);
    expect(r.vm.pages_4k).toBe(1);
  });

  it('each vCPU counts its own faults; the second vCPU to touch a page finds it mapped', async () => {
    const csv = HEADER + '0,R,0x0,8\n1,R,0x0,8\n1,R,0x1000,8\n';
    const r = await replayText(csv, { backing: '4k' });
    expect(r.vcpus[0].faults).toBe(1);
    expect(r.vcpus[1].faults).toBe(1);
    expect(r.vcpus[1].tlb_misses).toBe(2);
    expect(r.total.faults).toBe(2);
  });
});
