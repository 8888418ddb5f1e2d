/**
 * The fields of the KVM events the ftrace importer reads, in every kernel
 * variant of their TP_printk formats (../shared/docs/kvm-mmu-reference.md,
 * "Tracepoint text formats"):
 *
 * - x86 `kvm:kvm_page_fault`: `vcpu %u rip 0x%lx address 0x%016llx error_code 0x%llx`
 *   (older kernels: `address %lx error_code %x`, and between the two
 *   `vcpu %u rip 0x%lx address 0x%lx error_code %x`). Hex with or without `0x`.
 * - arm64 `kvm:kvm_guest_fault`: `ipa %#llx, hsr %#08lx, hxfar %#08lx, pc %#016lx`
 *   (older kernels print pc with `%#08lx`; `%#` prints a zero without `0x`).
 * - `kvmmmu:kvm_mmu_set_spte`: `gfn %llx spte %llx (%s%s%s%s) level %d at %llx`;
 *   `kvmmmu:kvm_mmu_spte_requested`: `gfn %llx pfn %llx level %d`;
 *   `kvmmmu:kvm_tdp_mmu_spte_changed`: `as id %d gfn %llx level %d old_spte %llx new_spte %llx`.
 */
import { Op } from '../ops.js';
import { Level } from '../../mmu/level.js';
import { MAX_VCPU_ID } from '../fieldParsers.js';
import type { LevelEventName } from './importTypes.js';
import type { X86ErrorCodeKind } from './importOptions.js';
import { hexBelow52Bits, hexLow32 } from './hexFields.js';

/** What one event line means for the import. */
export type FtraceEvent =
  | { kind: 'fault'; op: Op; gpa: number /** From the event's `vcpu N`, or -1. */; vcpu: number }
  | { kind: 'level'; event: LevelEventName; gfn: number; level: Level }
  /** A kvm_tdp_mmu_spte_changed that installs no leaf (a zap, or a page-table entry). */
  | { kind: 'noLeaf' }
  | { kind: 'bad'; reason: string };

const HEX = '(?:0x)?([0-9a-fA-F]{1,16})';
const PAGE_FAULT = new RegExp(`^(?:vcpu (\\d{1,10}) rip (?:0x)?[0-9a-fA-F]{1,16} )?address ${HEX} error_code ${HEX}(?:[,\\s].*)?$`);
const GUEST_FAULT = new RegExp(`^ipa ${HEX}, hsr ${HEX}, hxfar ${HEX}, pc ${HEX}$`);
const SET_SPTE = /^gfn ([0-9a-fA-F]{1,16}) spte [0-9a-fA-F]{1,16} \([^()]{0,16}\) level (\d{1,2}) at [0-9a-fA-F]{1,16}$/;
const SPTE_REQUESTED = /^gfn ([0-9a-fA-F]{1,16}) pfn [0-9a-fA-F]{1,16} level (\d{1,2})$/;
const SPTE_CHANGED = /^as id \d{1,5} gfn ([0-9a-fA-F]{1,16}) level (\d{1,2}) old_spte [0-9a-fA-F]{1,16} new_spte ([0-9a-fA-F]{1,16})$/;

/** x86 page-fault error code bits (PFERR_WRITE_MASK, PFERR_FETCH_MASK). */
const PFERR_WRITE = 1 << 1;
const PFERR_FETCH = 1 << 4;
/** EPT-violation exit qualification bits (EPT_VIOLATION_ACC_WRITE, EPT_VIOLATION_ACC_INSTR). */
const EPT_WRITE = 1 << 1;
const EPT_FETCH = 1 << 2;
/** arm64 ESR_ELx: exception class in bits 31:26, WnR (write not read) in bit 6 of a data abort's ISS. */
const ESR_EC_SHIFT = 26;
const ESR_EC_MASK = 0x3f;
const ESR_WNR = 1 << 6;
const EC_IABT_LOW = 0x20;
const EC_IABT_CUR = 0x21;
const EC_DABT_LOW = 0x24;
const EC_DABT_CUR = 0x25;
/** x86 SPTE bits: SPTE_MMU_PRESENT_MASK (bit 11, Linux 5.14+) and PT_PAGE_SIZE_MASK (bit 7, a huge leaf). */
const SPTE_PRESENT = 1 << 11;
const SPTE_HUGE = 1 << 7;
/** GFNs of GPAs below 2^52. */
const GFN_LIMIT = 2 ** 40;

/** Event names this importer reads (others are left out, counted by name). */
export const FTRACE_EVENTS: ReadonlySet<string> = new Set([
  'kvm_page_fault',
  'kvm_guest_fault',
  'kvm_mmu_set_spte',
  'kvm_mmu_spte_requested',
  'kvm_tdp_mmu_spte_changed',
]);

/** True for the two events that are guest accesses (faults). */
export function isFaultEvent(event: string): boolean {
  return event === 'kvm_page_fault' || event === 'kvm_guest_fault';
}

/** Decode the fields of `event` (one of `FTRACE_EVENTS`). */
export function decodeFtraceEvent(event: string, fields: string, errorCode: X86ErrorCodeKind): FtraceEvent {
  switch (event) {
    case 'kvm_page_fault': {
      const m = PAGE_FAULT.exec(fields);
      if (m === null) return bad('kvm_page_fault fields not in a known format');
      const vcpu = m[1] === undefined ? -1 : Number(m[1]);
      if (vcpu > MAX_VCPU_ID) return bad(`vCPU id above ${MAX_VCPU_ID}`);
      const gpa = hexBelow52Bits(m[2]);
      if (gpa === undefined) return bad('address at or beyond 2^52');
      const code = hexLow32(m[3]) as number;
      const [write, fetch] = errorCode === 'ept' ? [EPT_WRITE, EPT_FETCH] : [PFERR_WRITE, PFERR_FETCH];
      const op = code & fetch ? Op.X : code & write ? Op.W : Op.R;
      return { kind: 'fault', op, gpa, vcpu };
    }
    case 'kvm_guest_fault': {
      const m = GUEST_FAULT.exec(fields);
      if (m === null) return bad('kvm_guest_fault fields not in a known format');
      const ipa = hexBelow52Bits(m[1]);
      if (ipa === undefined) return bad('ipa at or beyond 2^52');
      const esr = hexLow32(m[2]) as number;
      const ec = (esr >>> ESR_EC_SHIFT) & ESR_EC_MASK;
      if (ec === EC_IABT_LOW || ec === EC_IABT_CUR) return { kind: 'fault', op: Op.X, gpa: ipa, vcpu: -1 };
      if (ec === EC_DABT_LOW || ec === EC_DABT_CUR) return { kind: 'fault', op: esr & ESR_WNR ? Op.W : Op.R, gpa: ipa, vcpu: -1 };
      return bad(`hsr exception class 0x${ec.toString(16)} is not an instruction or data abort`);
    }
    case 'kvm_mmu_set_spte':
    case 'kvm_mmu_spte_requested': {
      const m = (event === 'kvm_mmu_set_spte' ? SET_SPTE : SPTE_REQUESTED).exec(fields);
      if (m === null) return bad(`${event} fields not in a known format`);
      return levelEvent(event, m[1], m[2]);
    }
    case 'kvm_tdp_mmu_spte_changed': {
      const m = SPTE_CHANGED.exec(fields);
      if (m === null) return bad('kvm_tdp_mmu_spte_changed fields not in a known format');
      const level = Number(m[2]);
      const spte = hexLow32(m[3]) as number;
      const leaf = (spte & SPTE_PRESENT) !== 0 && level <= Level.L1G && (level === Level.L4K || (spte & SPTE_HUGE) !== 0);
      return leaf ? levelEvent(event, m[1], m[2]) : { kind: 'noLeaf' };
    }
    default:
      return bad(`${event} is not an event the ftrace importer reads`);
  }
}

function bad(reason: string): FtraceEvent {
  return { kind: 'bad', reason };
}

function levelEvent(event: LevelEventName, gfnText: string, levelText: string): FtraceEvent {
  const gfn = hexBelow52Bits(gfnText);
  if (gfn === undefined || gfn >= GFN_LIMIT) return bad('gfn at or beyond 2^40 (GPA 2^52)');
  const level = Number(levelText);
  if (level < Level.L4K || level > Level.L1G) return bad(`level ${level} is not 1 (4K), 2 (2M) or 3 (1G)`);
  return { kind: 'level', event, gfn, level };
}
