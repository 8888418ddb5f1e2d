/**
 * The bundled real boot trace (traces/boot-linux.mtr, recorded with
 * `mmubench record`, traces/README.md) replayed in its own layout
 * (boot-linux.vm.json): its counters are pinned, so a model change that
 * moves them shows up here and in the nightly.
 *
 * Why these numbers: the 1.1 M accesses are records 6,000,001 to 7,100,000
 * of the boot: they start in the kernel's real-mode setup code (loaded at
 * 0x10000 by QEMU's linuxboot ROM), 267,693 accesses before the jump to its
 * 32-bit entry at 0x100000, touch 1099 distinct 4 KiB pages of RAM, and
 * write 21480 times (and read 1000 times) to the legacy VGA window
 * [0xa0000, 0xc0000), which has no memslot: 22480 MMIO exits whatever the
 * scenario. With 2M backing the 1099 pages need 36 faults (32 pages in the
 * first 2 MiB, where the conventional-RAM slot ends at 640 KiB and the ROM
 * shadow is 256 KiB, stay 4K; 4 are 2M); with 4K backing one per page.
 * Pre-faulting every slot (prefault all) leaves only the MMIO exits.
 */
import { describe, expect, it } from 'vitest';
import { openBinaryTrace } from '../src/trace/binary/binaryTraceReader.js';
import { readVmLayout } from '../src/cli/vmLayout.js';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { replayCell } from '../src/replay/replayCell.js';
import { fileURLToPath } from 'node:url';

const TRACE = fileURLToPath(new URL('../traces/boot-linux.mtr', import.meta.url));
const LAYOUT = fileURLToPath(new URL('../traces/boot-linux.vm.json', import.meta.url));

async function replay(backing: '4k' | '2m', prefault: 'none' | 'all') {
  const trace = openBinaryTrace(TRACE);
  const { memslots } = await readVmLayout(LAYOUT);
  const [scenario] = parseMatrix({ arch: 'x86-tdp', backing, maxLevel: '1g', prefault });
  return replayCell(trace, scenario, { memslots, defaultSlotAlignBytes: 1 << 30 });
}

describe('traces/boot-linux.mtr (recorded)', () => {
  it('2M backing, no pre-fault: 36 missing faults (32 4K + 4 2M mappings) and 22480 MMIO exits in 1.1 M accesses', async () => {
    const r = await replay('2m', 'none');
    expect(r.total.accesses).toBe(1_100_000);
    expect(r.total.faults_missing).toBe(36);
    expect(r.total.faults_mmio).toBe(22_480);
    expect(r.total.faults_permission).toBe(0);
    expect([r.vm.pages_4k, r.vm.pages_2m, r.vm.pages_1g]).toEqual([32, 4, 0]);
  });

  it('4K backing, no pre-fault: one missing fault per page touched, 1099', async () => {
    const r = await replay('4k', 'none');
    expect(r.total.faults_missing).toBe(1099);
    expect(r.vm.pages_4k).toBe(1099);
  });

  it('prefault all: no missing fault left, only the MMIO exits', async () => {
    const r = await replay('2m', 'all');
    expect(r.total.faults_missing).toBe(0);
    expect(r.total.faults_mmio).toBe(22_480);
    expect([r.vm.pages_4k, r.vm.pages_2m]).toEqual([544, 127]);
  });
});
