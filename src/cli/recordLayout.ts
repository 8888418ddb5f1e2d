/**
 * The memory map of QEMU's `pc` machine (i440FX), as QEMU 7.2 registers it
 * with KVM, for `mmubench record`'s FILE.vm.json (a `--vm` layout,
 * src/cli/vmLayout.ts):
 *
 * - RAM below 4 GiB: `below4g` = the RAM size, or 3 GiB when the RAM is
 *   3.5 GiB or more (hw/i386/pc_piix.c: `max_ram_below_4g` 0xe0000000,
 *   lowered to 0xc0000000 by `gigabyte_align`); the rest from 4 GiB.
 * - Below 1 MiB: conventional RAM [0, 0xa0000), the VGA window
 *   [0xa0000, 0xc0000) is MMIO (no slot), [0xc0000, 0x100000) is the
 *   option-ROM and BIOS shadow (PAM: RAM SeaBIOS writes during POST and
 *   write-protects after; modelled writable, as during the boot).
 * - The BIOS ROM: SeaBIOS's bios-256k.bin at [4 GiB - 256 KiB, 4 GiB),
 *   read-only (KVM_MEM_READONLY).
 * - The PCI hole [below4g, 4 GiB - 256 KiB) and the LAPIC/IOAPIC are MMIO.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
/** SeaBIOS bios-256k.bin, mapped just below 4 GiB. */
export const BIOS_BYTES = 256 * KiB;

/** RAM below 4 GiB for `ramBytes` of guest RAM (pc_piix.c). */
export function below4gBytes(ramBytes: number): number {
  return ramBytes >= 0xe0000000 ? 3 * GiB : ramBytes;
}

/** One memslot of the layout file (`--vm` syntax). */
export interface LayoutSlot {
  id: number;
  gpa: string;
  size: string;
  readOnly?: boolean;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** The `--vm` layout of a `pc` guest with `ramBytes` of RAM (at least 2 MiB, a multiple of 4 KiB). */
export function pcLayout(ramBytes: number): { memslots: LayoutSlot[] } {
  const below = below4gBytes(ramBytes);
  const above = ramBytes - below;
  const memslots: LayoutSlot[] = [
    { id: 0, gpa: hex(0), size: hex(0xa0000) },
    { id: 1, gpa: hex(0xc0000), size: hex(0x40000) },
    { id: 2, gpa: hex(MiB), size: hex(below - MiB) },
    { id: 3, gpa: hex(4 * GiB - BIOS_BYTES), size: hex(BIOS_BYTES), readOnly: true },
  ];
  if (above > 0) memslots.push({ id: 4, gpa: hex(4 * GiB), size: hex(above) });
  return { memslots };
}
