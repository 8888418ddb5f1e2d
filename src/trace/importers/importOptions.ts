/**
 * Importer options: the formats, every default (in one place, as
 * `GENERATOR_DEFAULTS` is for `gen`), and their validation from the raw
 * strings of the command line or of a `FORMAT,opt=value:path` trace spec.
 */
import { InputError } from '../../errors.js';
import { GPA_LIMIT } from '../../mmu/address.js';
import { MAX_VCPU_ID, parseAddress } from '../fieldParsers.js';

/** Formats `mmubench import --format` and `run FORMAT:path` accept. */
export const IMPORT_FORMATS = ['ftrace', 'lackey', 'qemu-mem'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/**
 * Where ftrace accesses come from: `faults` (kvm_page_fault / kvm_guest_fault
 * lines), `sptes` (one W per GFN first named by kvm_mmu_spte_requested or
 * kvm_mmu_set_spte: shadow-paging hosts, where kvm_page_fault does not fire),
 * or `auto` (faults when the input has any fault line, else sptes).
 */
export const FTRACE_ACCESS_MODES = ['auto', 'faults', 'sptes'] as const;
export type FtraceAccessMode = (typeof FTRACE_ACCESS_MODES)[number];

/**
 * How to read x86 kvm_page_fault's `error_code`: `pferr` (page-fault error
 * code: bit 1 write, bit 4 fetch; what SVM's npf_interception and the
 * shadow-paging #PF path trace) or `ept` (Intel's EPT-violation exit
 * qualification, which VMX's handle_ept_violation traces: bit 1 write, bit 2 fetch).
 */
export const X86_ERROR_CODE_KINDS = ['pferr', 'ept'] as const;
export type X86ErrorCodeKind = (typeof X86_ERROR_CODE_KINDS)[number];

/** Every importer option, validated. */
export interface ImportOptions {
  /** Fail at the first line the importer does not understand. */
  strict: boolean;
  /** ftrace: keep accesses and level events whose GPA is below this (GPA_LIMIT: all). */
  gpaBelow: number;
  ftraceAccesses: FtraceAccessMode;
  x86ErrorCode: X86ErrorCodeKind;
  /** lackey with one input: replay that many copies of the program, one per vCPU (0: one vCPU per input). */
  vcpus: number;
}

/** The defaults (docs/importing.md lists them). */
export const IMPORT_DEFAULTS: ImportOptions = {
  strict: false,
  gpaBelow: GPA_LIMIT,
  ftraceAccesses: 'auto',
  x86ErrorCode: 'pferr',
  vcpus: 0,
};

/** Importer options as raw strings (commander, or a trace spec). */
export interface RawImportOptions {
  strict?: boolean;
  gpaBelow?: string;
  ftraceAccesses?: string;
  x86ErrorCode?: string;
  vcpus?: string;
}

function choice<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new InputError(`${flag}: "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

/**
 * Validate the options for `format`, once, at the boundary. `inputCount` is
 * the number of inputs (lackey's `--vcpus` needs exactly one). Options that
 * belong to the other format are refused rather than ignored.
 */
export function parseImportOptions(format: ImportFormat, raw: RawImportOptions, inputCount: number): ImportOptions {
  const options: ImportOptions = { ...IMPORT_DEFAULTS, strict: raw.strict === true };
  const only = (flag: string, wanted: ImportFormat): void => {
    if (format !== wanted) throw new InputError(`${flag}: only for --format ${wanted}`);
  };
  if (raw.gpaBelow !== undefined) {
    only('--gpa-below', 'ftrace');
    const gpa = parseAddress(raw.gpaBelow, 'GPA');
    if (typeof gpa === 'string') throw new InputError(`--gpa-below: ${gpa}`);
    if (gpa === 0) throw new InputError('--gpa-below: "0" would leave nothing');
    options.gpaBelow = gpa;
  }
  if (raw.ftraceAccesses !== undefined) only('--ftrace-accesses', 'ftrace');
  options.ftraceAccesses = choice('--ftrace-accesses', raw.ftraceAccesses, FTRACE_ACCESS_MODES, IMPORT_DEFAULTS.ftraceAccesses);
  if (raw.x86ErrorCode !== undefined) only('--x86-error-code', 'ftrace');
  options.x86ErrorCode = choice('--x86-error-code', raw.x86ErrorCode, X86_ERROR_CODE_KINDS, IMPORT_DEFAULTS.x86ErrorCode);
  if (raw.vcpus !== undefined) {
    only('--vcpus', 'lackey');
    const n = Number(raw.vcpus);
    if (!/^[0-9]+$/.test(raw.vcpus) || n < 1 || n > MAX_VCPU_ID + 1) {
      throw new InputError(`--vcpus: "${raw.vcpus}" is not an integer from 1 to ${MAX_VCPU_ID + 1}`);
    }
    if (inputCount !== 1 && n !== inputCount) {
      throw new InputError(`--vcpus: ${n} with ${inputCount} inputs; give one input (copied to every vCPU) or one input per vCPU`);
    }
    options.vcpus = inputCount === 1 ? n : 0;
  }
  if (format === 'lackey' && inputCount > MAX_VCPU_ID + 1) {
    throw new InputError(`lackey: ${inputCount} inputs, at most ${MAX_VCPU_ID + 1} (one vCPU each)`);
  }
  return options;
}
