/**
 * Trace operations (column `op`). Values are stable: the binary trace format
 * stores them.
 */
export enum Op {
  /** Guest data read at `gpa`. */
  R = 1,
  /** Guest data write. */
  W = 2,
  /** Guest instruction fetch. */
  X = 3,
  /** KVM_PRE_FAULT_MEMORY of [gpa, gpa + size) on the row's vCPU. */
  PREFAULT = 4,
  /** Host-side invalidation of [gpa, gpa + size) (MMU notifier). */
  UNMAP = 5,
  /** Write-protect [gpa, gpa + size). */
  WRPROTECT = 6,
  /** Create memslot `x_slot` at [gpa, gpa + size). */
  SLOT_ADD = 7,
  /** Delete memslot `x_slot`. */
  SLOT_DEL = 8,
  /** Enable dirty logging on memslot `x_slot`. */
  DIRTY_LOG_ON = 9,
  /** Disable dirty logging on memslot `x_slot`. */
  DIRTY_LOG_OFF = 10,
  /** KVM_SET_MEMORY_ATTRIBUTES: make [gpa, gpa + size) private. */
  SET_PRIVATE = 11,
  /** KVM_SET_MEMORY_ATTRIBUTES: make [gpa, gpa + size) shared. */
  SET_SHARED = 12,
  /** KVM_GET_DIRTY_LOG of memslot `x_slot` without manual protect: harvest, write-protecting the pages dirtied since the last harvest. */
  DIRTY_LOG_GET = 13,
  /** KVM_CLEAR_DIRTY_LOG of [gpa, gpa + size) in memslot `x_slot`: write-protect the dirty pages there again. */
  DIRTY_LOG_CLEAR = 14,
  /**
   * KVM_SET_USER_MEMORY_REGION with KVM_MR_MOVE: memslot `x_slot` moves to
   * `gpa` (same size, same host memory); its mappings are zapped as for a
   * delete (`kvm_arch_flush_shadow_memslot`).
   */
  SLOT_MOVE = 15,
  /**
   * fallocate(PUNCH_HOLE) on the guest_memfd behind [gpa, gpa + size)
   * (`kvm_gmem_punch_hole` -> `kvm_gmem_invalidate_begin`, `KVM_FILTER_PRIVATE`):
   * the private mappings of the range's guest_memfd slots are zapped.
   */
  GMEM_PUNCH_HOLE = 16,
  /**
   * Page aging of [gpa, gpa + size): the MMU notifier's `clear_flush_young`
   * (`kvm_age_gfn`): test and clear the accessed flag of the range's leaves;
   * arm64 flushes if one was young; pKVM makes one
   * `__pkvm_host_test_clear_young_guest` hypercall per mapping (src/mmu/aging.ts).
   */
  AGE = 17,
  /**
   * Guest hypervisor's address translation instruction (arm64 nested
   * virtualization, seed 003): the variant `x_at` (`AtVariant`) of guest
   * virtual address `gpa`, emulated by KVM (src/replay/atEmulation.ts).
   * 18 and 19 are not ops.
   */
  AT = 20,
}

/** Op names as written in traces, indexed by `Op`. */
export const OP_NAMES: readonly string[] = [
  '',
  'R',
  'W',
  'X',
  'PREFAULT',
  'UNMAP',
  'WRPROTECT',
  'SLOT_ADD',
  'SLOT_DEL',
  'DIRTY_LOG_ON',
  'DIRTY_LOG_OFF',
  'SET_PRIVATE',
  'SET_SHARED',
  'DIRTY_LOG_GET',
  'DIRTY_LOG_CLEAR',
  'SLOT_MOVE',
  'GMEM_PUNCH_HOLE',
  'AGE',
  '',
  '',
  'AT',
];

const BY_NAME = new Map<string, Op>();
OP_NAMES.forEach((name, op) => {
  if (name !== '') BY_NAME.set(name, op);
});

/** Parse an op name (case-sensitive, as documented); undefined when unknown. */
export function parseOp(name: string): Op | undefined {
  return BY_NAME.get(name);
}

/** True when `code` is a defined op code (codes without a name are reserved). */
export function isOpCode(code: number): boolean {
  return Number.isInteger(code) && code >= 1 && code < OP_NAMES.length && OP_NAMES[code] !== '';
}

/** True for guest accesses (R, W, X). */
export function isAccess(op: Op): boolean {
  return op <= Op.X;
}

/** True for ops that name a memslot through `x_slot`. */
export function needsSlot(op: Op): boolean {
  return (
    op === Op.SLOT_ADD ||
    op === Op.SLOT_DEL ||
    op === Op.DIRTY_LOG_ON ||
    op === Op.DIRTY_LOG_OFF ||
    op === Op.DIRTY_LOG_GET ||
    op === Op.DIRTY_LOG_CLEAR ||
    op === Op.SLOT_MOVE
  );
}

/** True for ops whose size column may be empty: accesses (1 byte) and the slot ops that ignore gpa and size. */
export function sizeOptional(op: Op): boolean {
  return isAccess(op) || op === Op.SLOT_DEL || op === Op.DIRTY_LOG_ON || op === Op.DIRTY_LOG_OFF || op === Op.DIRTY_LOG_GET || op === Op.AT;
}
