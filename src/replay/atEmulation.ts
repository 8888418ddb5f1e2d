/**
 * Emulation of a guest hypervisor's `AT S1E*` instructions (arm64 nested
 * virtualization; seed 003, `[PATCH 10/12] KVM: arm64: nv: Add SW walker for
 * AT S1 emulation`; upstream arch/arm64/kvm/at.c). An AT from vEL2 traps to
 * KVM, which first runs the hardware AT with the guest's context loaded (the
 * fast path, `__kvm_at_s1e01` / `__kvm_at_s1e2`), and when that fails for
 * anything but a stage-1 permission fault, replays the translation in
 * software (`handle_at_slow` → `walk_s1`), reading each guest stage-1
 * descriptor with `kvm_read_guest`, which brings evicted pages back.
 *
 * The guest stage-1 is the synthetic one of guestWalk.ts (guest VA = GPA,
 * 4 KiB pages, tables at the top of the lowest memslot), with fixed
 * permissions: every leaf is a privileged read-write mapping without EL0
 * access (AP[2:1] = 0b00, a kernel mapping), the same for the EL1&0 and EL2
 * regimes. Without a guest stage-1 (`--guest-levels 0`) the guest's stage-1
 * MMU is off (SCTLR_ELx.M = 0): `setup_s1_walk` returns `S1_MMU_DISABLED`,
 * the output address is the input and no descriptor is read. Docs:
 * docs/model.md "AT emulation".
 */
import { gpaToGfn } from '../mmu/address.js';
import { AccessKind } from '../mmu/vmOptions.js';
import { PERM_READ } from '../mmu/entry.js';
import { VcpuStats } from '../mmu/stats.js';
import type { Vm } from '../mmu/vm.js';
import { AtVariant } from '../trace/atVariant.js';
import type { GuestWalker } from './guestWalk.js';

export class AtEmulator {
  /** Faults of the software walker's reads land here, then move to `at_faults`. */
  private readonly scratch = new VcpuStats();

  /** `guest`: the synthetic guest stage-1, or undefined when the guest's stage-1 MMU is off. */
  constructor(
    private readonly vm: Vm,
    private readonly guest: GuestWalker | undefined,
  ) {}

  /**
   * Emulate `AT <variant>` of guest virtual address `gva`, counting on
   * `stats`. Every AT ends on exactly one of the two paths (`at_fast` or
   * `at_slow`); the translation it reports is the same either way.
   *
   * 1. The fast path: the hardware walk of the guest stage-1 reads every
   *    table page through stage-2, so it completes when each is mapped
   *    readable (`mappingOf`: a look, no fault). Else the hardware reports a
   *    stage-2 fault on the walk (PAR_EL1.S = 1), which is not a stage-1
   *    permission or access fault (`par_check_s1_perm_fault`,
   *    `par_check_s1_access_fault`): KVM goes slow. An AT S1 translates the
   *    stage-1 only: the output page's stage-2 mapping is not looked at
   *    (`__kvm_at_s12` adds that stage).
   * 2. S1E1RP/S1E1WP, when the fast walk completed: `check_at_pan` (seed
   *    003), with the guest's PSTATE.PAN set.
   * 3. The slow path, `handle_at_slow`: one `kvm_read_guest` per level, each
   *    a stage-2 read that may fault the table page in (`at_faults`); a read
   *    that maps nothing (an MMIO exit: no memslot, or a frame the alias may
   *    not see) is not counted as a fault and fails the walk there
   *    (`ESR_ELx_FSC_SEA_TTW`).
   */
  at(variant: AtVariant, gva: number, stats: VcpuStats): void {
    stats.at_ops++;
    const guest = this.guest;
    const levels = guest === undefined ? 0 : guest.tablePages(gpaToGfn(gva));
    // 1. The hardware walk.
    let slow = false;
    for (let k = 0; k < levels && !slow; k++) slow = (this.vm.mappingOf(guest!.tableGfns[k]) & PERM_READ) === 0;
    // 2. PAN-aware forms.
    if (!slow && (variant === AtVariant.S1E1RP || variant === AtVariant.S1E1WP)) slow = this.checkAtPan(guest === undefined, stats);
    if (!slow) {
      stats.at_fast++;
      return;
    }
    // 3. The software walk.
    stats.at_slow++;
    const scratch = this.scratch;
    for (let k = 0; k < levels; k++) {
      stats.at_walk_reads++;
      const before = scratch.faults - scratch.faults_mmio;
      const word = this.vm.translate(guest!.tableGfns[k], AccessKind.Read, scratch);
      stats.at_faults += scratch.faults - scratch.faults_mmio - before; // faults that mapped the page
      if (word === 0) break; // nothing to read (an MMIO exit): kvm_read_guest failed, the walk stops at this level
    }
  }

  /**
   * `check_at_pan` (seed 003's version of `__kvm_at_s1e01`): after the EL1
   * translation succeeded, the same translation at EL0, `AT S1E0R`, then
   * `AT S1E0W` when the read failed ("Twice. Much fun."). Both failing on a
   * permission fault means EL0 cannot reach the page, so PAN does not
   * forbid it and the EL1 result stands (fast). An EL0 translation that
   * succeeds means PAN forbids the access, and since the hardware gave no
   * syndrome to build the fault from, KVM goes slow ("Go slow."); so does
   * an EL0 failure other than a permission fault (the guest changed its
   * tables behind KVM's back), which the model never sees: nothing runs
   * between the EL1 and EL0 walks. True when the AT goes slow.
   *
   * With the synthetic tables (no EL0 access) that is two translations and
   * the fast result; with the guest's stage-1 MMU off every address is
   * EL0-accessible: one translation, then the slow path.
   */
  private checkAtPan(mmuOff: boolean, stats: VcpuStats): boolean {
    stats.at_pan_checks++; // AT S1E0R
    const el0Read = mmuOff;
    if (el0Read) return true;
    stats.at_pan_checks++; // AT S1E0W
    const el0Write = mmuOff;
    return el0Write;
  }
}
