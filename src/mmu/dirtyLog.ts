/**
 * Dirty-page logging: the per-memslot dirty bitmap and the two harvesting
 * ioctls, following virt/kvm/kvm_main.c.
 *
 * - `mark_page_dirty_in_slot` sets a GFN's bit whenever the fault path makes
 *   a page writable in a slot with KVM_MEM_LOG_DIRTY_PAGES (x86 `make_spte`
 *   and `fast_pf_fix_direct_spte`; arm64 `user_mem_abort` on write faults):
 *   `Vm` calls `DirtyLog.markDirty` at the two places it grants write
 *   permission, so *a writable leaf in a logged slot always has its bit set*
 *   (until a harvest write-protects it and clears the bit together).
 * - `KVM_GET_DIRTY_LOG` without KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2
 *   (`kvm_get_dirty_log_protect`): for each word of the bitmap, take it and
 *   zero it (`xchg`), write-protect the pages it names
 *   (`kvm_arch_mmu_enable_log_dirty_pt_masked`), and if any bit was set,
 *   flush the slot's TLB entries once (`kvm_flush_remote_tlbs_memslot`).
 * - `KVM_CLEAR_DIRTY_LOG` (`kvm_clear_dirty_log_protect`): the same for the
 *   pages `[first_page, first_page + num_pages)` of the slot, whose dirty bits
 *   userspace passes back (the model clears all of them: what a VMM does with
 *   the bitmap KVM_GET_DIRTY_LOG returned when no access came in between).
 *   `first_page` must be a multiple of 64 and `num_pages` too unless the range
 *   reaches the slot's end; else EINVAL.
 *
 * Write-protecting the dirty pages one by one is exact for both arches: x86
 * write-protects each set bit's 4K SPTE (`kvm_mmu_write_protect_pt_masked`);
 * arm64 write-protects the span from the word's first to last set bit
 * (`stage2_wp_range`), but the clean pages inside that span are not writable
 * (the invariant above), so the result is the same. Pages are 4K leaves
 * under dirty logging; a huge leaf holding a dirty GFN (possible only when it
 * was mapped before logging started without eager split, and then it is
 * already write-protected) is visited whole, as `Vm.writeProtect` does.
 *
 * Not modelled: KVM_DIRTY_LOG_INITIALLY_SET (the model's DIRTY_LOG_ON always
 * write-protects the slot, as KVM does without it) and the dirty ring.
 */
import { PAGE_SIZE_BYTES } from './level.js';
import { PERM_WRITE } from './entry.js';
import { MemslotError, type Memslot } from './memslots.js';
import type { PageTable } from './pageTable.js';
import type { Vm } from './vm.js';
import { dirtyLogRefusal } from './dirtyLogging.js';
import { ENOENT } from './preFault.js';
import { FlushOrigin, type FlushSink } from './vmOptions.js';
import { popcount } from './popcount.js';

/** KVM_CLEAR_DIRTY_LOG works on whole 64-bit words of the bitmap: pages per word. */
export const CLEAR_ALIGN_PAGES = 64;

/**
 * One bitmap per memslot under dirty logging (`memslot->dirty_bitmap`), one
 * bit per 4 KiB page from the slot's first GFN, allocated zeroed at the
 * slot's first dirty page. Keyed by the slot object, so a deleted slot's
 * bitmap goes with it and a new slot with the same id starts clean.
 */
export class DirtyLog {
  private readonly bitmaps = new WeakMap<Memslot, Uint32Array>();

  /** `mark_page_dirty_in_slot`: `gfn` (inside `slot`) was made writable. */
  markDirty(slot: Memslot, gfn: number): void {
    let bits = this.bitmaps.get(slot);
    if (bits === undefined) {
      bits = new Uint32Array(Math.ceil(slot.npages / 32));
      this.bitmaps.set(slot, bits);
    }
    const page = gfn - slot.baseGfn;
    bits[page >>> 5] |= 1 << (page & 31);
  }

  /** Drop the slot's bitmap: dirty logging was turned on (a fresh, clean bitmap) or off (freed). */
  forget(slot: Memslot): void {
    this.bitmaps.delete(slot);
  }

  /** True when `gfn` (inside `slot`) is dirty now. */
  isDirty(slot: Memslot, gfn: number): boolean {
    const bits = this.bitmaps.get(slot);
    const page = gfn - slot.baseGfn;
    return bits !== undefined && (bits[page >>> 5] & (1 << (page & 31))) !== 0;
  }

  /** Dirty pages of `slot` now. */
  dirtyPages(slot: Memslot): number {
    const bits = this.bitmaps.get(slot);
    let count = 0;
    if (bits !== undefined) for (const word of bits) count += popcount(word);
    return count;
  }

  /**
   * Clear the dirty bits of pages `[firstPage, firstPage + pageCount)` of
   * `slot` and return what to write-protect: runs of consecutive dirty GFNs
   * as `[startGfn, endGfn, startGfn, endGfn, ...]`, in GFN order.
   */
  harvest(slot: Memslot, firstPage: number, pageCount: number): number[] {
    const bits = this.bitmaps.get(slot);
    const runs: number[] = [];
    if (bits === undefined) return runs;
    const end = firstPage + pageCount;
    let runStart = -1;
    for (let page = firstPage; page < end; ) {
      const word = bits[page >>> 5];
      if (word === 0 && (page & 31) === 0 && page + 32 <= end) {
        // A clean word: close any open run and skip it.
        if (runStart >= 0) runs.push(slot.baseGfn + runStart, slot.baseGfn + page);
        runStart = -1;
        page += 32;
        continue;
      }
      const mask = 1 << (page & 31);
      if ((word & mask) !== 0) {
        bits[page >>> 5] = word & ~mask;
        if (runStart < 0) runStart = page;
      } else if (runStart >= 0) {
        runs.push(slot.baseGfn + runStart, slot.baseGfn + page);
        runStart = -1;
      }
      page++;
    }
    if (runStart >= 0) runs.push(slot.baseGfn + runStart, slot.baseGfn + end);
    return runs;
  }
}

/**
 * The slot `id` under dirty logging, or undefined when KVM refused to log it
 * (`dirtyLogRefusal`: guest_memfd or PFNMAP memory; the DIRTY_LOG_ON row was
 * an ioctl error). Without a dirty bitmap `kvm_get_dirty_log_protect` and
 * `kvm_clear_dirty_log_protect` return -ENOENT: for a refused slot that is
 * one more refused ioctl (the trace was recorded where logging worked; the
 * run goes on, `ioctl_errors` counts it); for a slot whose logging the trace
 * never turned on it is a `MemslotError` (the trace itself is inconsistent).
 */
function loggedSlot(vm: Vm, id: number, ioctl: string): Memslot | undefined {
  const slot = vm.memslots.byId(id);
  if (slot.dirtyLogging) return slot;
  if (dirtyLogRefusal(slot) !== undefined) {
    vm.stats.ioctl_errors++;
    return undefined;
  }
  throw new MemslotError(`dirty logging is off for memslot ${id} (${ioctl} returns ENOENT)`);
}

/**
 * Write-protect every writable leaf overlapping the runs, in every alias,
 * then, when any page was dirty, flush the slot once per alias
 * (`kvm_flush_remote_tlbs_memslot`: a range flush over the whole slot).
 * Returns the dirty pages harvested.
 */
function protectRuns(vm: Vm, flush: FlushSink, slot: Memslot, runs: readonly number[]): number {
  let dirty = 0;
  for (let r = 0; r < runs.length; r += 2) dirty += runs[r + 1] - runs[r];
  if (dirty === 0) return 0;
  vm.tables.forEach((table: PageTable, alias: number) => {
    for (let r = 0; r < runs.length; r += 2) {
      table.walkLeaves(runs[r], runs[r + 1], (t, entry, level, gfn, word) => {
        if ((word & PERM_WRITE) !== 0) table.setEntry(t, entry, level, gfn, word & ~PERM_WRITE);
      });
    }
    flush.requestFlush(slot.baseGfn, slot.baseGfn + slot.npages, alias, FlushOrigin.Range);
  });
  return dirty;
}

/**
 * DIRTY_LOG_GET: `KVM_GET_DIRTY_LOG` on memslot `id` without manual protect
 * (`kvm_get_dirty_log_protect`). Returns the dirty pages harvested, or
 * -ENOENT for a slot KVM refused to log (`loggedSlot`); throws
 * `MemslotError` for an unknown slot or one the trace never logged.
 */
export function getDirtyLog(vm: Vm, flush: FlushSink, id: number): number {
  const slot = loggedSlot(vm, id, 'KVM_GET_DIRTY_LOG');
  if (slot === undefined) return -ENOENT;
  return protectRuns(vm, flush, slot, vm.dirtyLog.harvest(slot, 0, slot.npages));
}

/**
 * DIRTY_LOG_CLEAR: `KVM_CLEAR_DIRTY_LOG` of `[gpa, gpa + sizeBytes)` in
 * memslot `id` (`kvm_clear_dirty_log_protect`). The range must be 4 KiB
 * aligned, inside the slot, start at a multiple of 64 pages from the slot's
 * start, and be a multiple of 64 pages unless it reaches the slot's end
 * (KVM's EINVAL checks); else `MemslotError`. Returns the dirty pages
 * harvested, or -ENOENT for a slot KVM refused to log (`loggedSlot`).
 */
export function clearDirtyLog(vm: Vm, flush: FlushSink, id: number, gpa: number, sizeBytes: number): number {
  const slot = loggedSlot(vm, id, 'KVM_CLEAR_DIRTY_LOG');
  if (slot === undefined) return -ENOENT;
  const einval = (why: string): never => {
    throw new MemslotError(`KVM_CLEAR_DIRTY_LOG returns EINVAL: ${why}`);
  };
  if (gpa % PAGE_SIZE_BYTES !== 0 || sizeBytes % PAGE_SIZE_BYTES !== 0) einval('the range is not in whole 4 KiB pages');
  const firstPage = gpa / PAGE_SIZE_BYTES - slot.baseGfn;
  const pageCount = sizeBytes / PAGE_SIZE_BYTES;
  if (firstPage < 0 || firstPage + pageCount > slot.npages) einval(`the range is not inside memslot ${id}`);
  if (firstPage % CLEAR_ALIGN_PAGES !== 0) einval(`first page ${firstPage} of memslot ${id} is not a multiple of 64`);
  if (firstPage + pageCount < slot.npages && pageCount % CLEAR_ALIGN_PAGES !== 0) {
    einval(`${pageCount} pages is not a multiple of 64 and does not reach the end of memslot ${id}`);
  }
  return protectRuns(vm, flush, slot, vm.dirtyLog.harvest(slot, firstPage, pageCount));
}
