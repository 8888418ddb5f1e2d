/**
 * Access flags of a pre-fault (`--prefault-flags`). Merged KVM_PRE_FAULT_MEMORY
 * has none: `kvm_arch_vcpu_pre_fault_memory` (arch/x86/kvm/mmu/mmu.c) faults
 * with `PFERR_GUEST_FINAL_MASK` only, a read, and adds
 * `PFERR_PRIVATE_ACCESS` where the GFN has the private attribute (`auto`,
 * the default). The KVM_MAP_MEMORY RFC (seed 002) lets userspace choose:
 * `KVM_MEMORY_MAPPING_FLAG_WRITE`, `_EXEC`, `_USER` and `_PRIVATE`, turned into
 * the fault's error code by its `kvm_arch_vcpu_map_memory` (x86.c).
 */
import { AccessKind } from './vmOptions.js';

/** `KVM_MEMORY_MAPPING_FLAG_*` bits, numbered as the RFC's uAPI (`_BITULL(0..3)`). */
export const PREFAULT_FLAG_WRITE = 1;
export const PREFAULT_FLAG_EXEC = 2;
export const PREFAULT_FLAG_USER = 4;
export const PREFAULT_FLAG_PRIVATE = 8;

/** Flag names in bit order, as `--prefault-flags` spells them. */
export const PREFAULT_FLAG_NAMES = ['write', 'exec', 'user', 'private'] as const;

/** `auto`: merged KVM (no flags); otherwise the RFC's flag bits (0: `none`, a shared read). */
export type PrefaultFlags = 'auto' | number;

/** `auto`, `none`, or the set flags joined by `+` in bit order (`write+exec`). */
export function prefaultFlagsText(flags: PrefaultFlags): string {
  if (flags === 'auto') return 'auto';
  const names = PREFAULT_FLAG_NAMES.filter((_, bit) => (flags & (1 << bit)) !== 0);
  return names.length === 0 ? 'none' : names.join('+');
}

/** One `--prefault-flags` value (`auto`, `none`, or names joined by `+`), or why it is not one. */
export function parsePrefaultFlags(text: string): PrefaultFlags | { error: string } {
  if (text === 'auto') return 'auto';
  if (text === 'none') return 0;
  let flags = 0;
  for (const name of text.split('+')) {
    const bit = (PREFAULT_FLAG_NAMES as readonly string[]).indexOf(name);
    if (bit < 0) return { error: `"${text}": "${name}" is not one of ${PREFAULT_FLAG_NAMES.join(', ')} (or give auto or none)` };
    if ((flags & (1 << bit)) !== 0) return { error: `"${text}" names ${name} twice` };
    flags |= 1 << bit;
  }
  return flags;
}

/** The access a pre-fault step makes (`prefaultAccess`). */
export interface PrefaultAccess {
  kind: AccessKind;
  /** WRITE with EXEC: the leaf is made writable too. */
  alsoWrite: boolean;
}

/**
 * The access a pre-fault step takes: `PFERR_FETCH_MASK` (exec) before
 * `PFERR_WRITE_MASK` (write), else a read; `alsoWrite` when both are set
 * (the leaf must then be writable too). USER (`PFERR_USER_MASK`) changes no
 * stage-2 leaf: the TDP MMU maps with `ACC_ALL` whatever the fault's U/S bit
 * (`kvm_tdp_mmu_map` -> `make_spte`).
 */
export function prefaultAccess(flags: PrefaultFlags): PrefaultAccess {
  if (flags === 'auto') return { kind: AccessKind.Read, alsoWrite: false };
  const write = (flags & PREFAULT_FLAG_WRITE) !== 0;
  if ((flags & PREFAULT_FLAG_EXEC) !== 0) return { kind: AccessKind.Exec, alsoWrite: write };
  return { kind: write ? AccessKind.Write : AccessKind.Read, alsoWrite: false };
}
