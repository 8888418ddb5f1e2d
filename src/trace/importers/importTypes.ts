/**
 * What every importer shares: where its input comes from, where its rows go,
 * and what it reports at the end. Importers stream: they hand each row to an
 * `ImportSink` as soon as it is decoded and keep no per-row state.
 */
import type { Op } from '../ops.js';

/** One input of an import: a file, or bytes already in memory (tests, fuzzing). */
export interface ImportInput {
  /** Name used in messages and header comments (the path as given, for files). */
  name: string;
  /** File to read; when absent, `bytes` is the input. */
  path?: string;
  bytes?: Uint8Array;
  /** For in-memory input: split it into chunks of this many bytes (tests of the line splitter). */
  chunkBytes?: number;
}

/** The kernel events that carry a mapping level (ftrace, for `check-levels`). */
export type LevelEventName = 'kvm_mmu_spte_requested' | 'kvm_mmu_set_spte' | 'kvm_tdp_mmu_spte_changed';

/** Receives what an importer decodes, in input order. */
export interface ImportSink {
  /**
   * One access row. `timeNs` is -1 when the format has no time (lackey);
   * `line` is the line of the input it came from (`input` is its index).
   */
  access(op: Op, vcpu: number, gpa: number, sizeBytes: number, input: number, line: number, timeNs: number): void;
  /** A kernel mapping-level event: not an access, kept for `check-levels`. */
  level?(gfn: number, level: number, event: LevelEventName, input: number, line: number): void;
  /** Called after each chunk of input: a sink that writes may wait here for its stream to drain. */
  drain?(): Promise<void>;
}

/** Progress callback: bytes of input read so far, out of the total (0 when unknown). */
export type ImportProgress = (doneBytes: number, totalBytes: number) => void;

/** What an import did, for the end-of-import message and the output's header comments. */
export interface ImportSummary {
  format: string;
  /** Input names, in order. */
  inputs: string[];
  /** Lines read, over all inputs. */
  lines: number;
  /** Access rows handed to the sink. */
  rows: number;
  /** Level events handed to the sink (ftrace). */
  levelEvents: number;
  /** True when rows carry a time (ftrace). */
  hasTime: boolean;
  /** Lines that made no row, per reason, in first-seen order. */
  skipped: SkipTally[];
  /** Sentences saying how input became rows (vCPU ids, address mapping, mode): header comments. */
  mapping: string[];
}

/** Lines skipped for one reason. */
export interface SkipTally {
  reason: string;
  count: number;
  /**
   * True for input the importer does not understand (`--strict` stops at the
   * first); false for lines it recognises and leaves out on purpose (comments,
   * banners, events it does not import, filtered addresses).
   */
  bad: boolean;
}
