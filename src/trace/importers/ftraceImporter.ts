/**
 * ftrace importer: KVM tracepoint text from `trace_pipe`/`trace`,
 * `trace-cmd report` or `perf script` (line shape in ftraceLine.ts, event
 * fields in ftraceEvents.ts). Several inputs are read one after the other as
 * one capture.
 *
 * 1. Accesses come from fault events (`faults`: kvm_page_fault,
 *    kvm_guest_fault), or, on shadow-paging hosts where kvm_page_fault does
 *    not fire, from the SPTE events (`sptes`: one W at the GFN's first byte
 *    the first time a kvm_mmu_spte_requested or kvm_mmu_set_spte names that
 *    GFN). `auto` reads the input once beforehand and picks `faults` when it
 *    has any fault line, else `sptes`.
 * 2. The vCPU is the event's own `vcpu N` when it has one, else the task's
 *    thread: each distinct thread gets the next id (0, 1, ...) when it first
 *    makes a row.
 * 3. `time` is nanoseconds since the first row's timestamp (an integer below
 *    2^53 whatever the host's uptime). A timestamp without a fraction (the
 *    `counter` clock) counts its own units.
 * 4. Level events (kvm_mmu_set_spte, kvm_mmu_spte_requested, and
 *    kvm_tdp_mmu_spte_changed when it installs a leaf) are not accesses:
 *    they go to the sink's `level` for `check-levels`.
 * 5. `--gpa-below` leaves out accesses and level events at or above a GPA
 *    (e.g. a guest's own code and page-table memslot).
 */
import { MAX_VCPU_ID } from '../fieldParsers.js';
import { Op } from '../ops.js';
import { GPA_LIMIT, gfnToGpa } from '../../mmu/address.js';
import type { ImportInput, ImportProgress, ImportSink, ImportSummary } from './importTypes.js';
import type { FtraceAccessMode, ImportOptions } from './importOptions.js';
import { LineReader, readInputsInTurn } from './lineReader.js';
import { SkipCounter } from './skipCounter.js';
import { type FtraceLine, parseFtraceLine } from './ftraceLine.js';
import { FTRACE_EVENTS, type FtraceEvent, decodeFtraceEvent, isFaultEvent } from './ftraceEvents.js';

const TRACE_CMD_HEADER = /^(?:cpus=\d+|version = \d+.*|CPU ?\d+ is empty|CPU\d+ data recorded at offset=.*)$/;
const LOST_EVENTS = /^CPU:\d+ \[LOST \d+ EVENTS\]$/;
const NS_PER_SECOND = 1e9;
/** Threads listed by name in the header comment. */
const MAX_THREADS_LISTED = 16;

/** Lines that are not events but are expected in a capture: the reason to count them under, or undefined. */
export function nonEventReason(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return 'empty line';
  if (trimmed.startsWith('#')) return 'comment';
  if (TRACE_CMD_HEADER.test(trimmed)) return 'trace-cmd header';
  if (LOST_EVENTS.test(trimmed)) return 'LOST EVENTS marker (the kernel dropped events)';
  return undefined;
}

/** True when some input has a kvm_page_fault or kvm_guest_fault line (what `auto` chooses by). */
export async function hasFaultLines(inputs: readonly ImportInput[]): Promise<boolean> {
  for (const input of inputs) {
    const reader = await LineReader.open(input);
    try {
      for (;;) {
        if (!reader.next()) {
          if (await reader.refill()) continue;
          break;
        }
        if (reader.tooLong) continue;
        const text = reader.text();
        if (!text.includes('_fault:')) continue;
        const line = parseFtraceLine(text);
        if (line !== undefined && isFaultEvent(line.event)) return true;
      }
    } finally {
      reader.close();
    }
  }
  return false;
}

/** Import ftrace text into `sink`. */
export async function importFtrace(
  inputs: readonly ImportInput[],
  options: ImportOptions,
  sink: ImportSink,
  onProgress?: ImportProgress,
): Promise<ImportSummary> {
  const autoPicked = options.ftraceAccesses === 'auto';
  const mode: FtraceAccessMode = autoPicked ? ((await hasFaultLines(inputs)) ? 'faults' : 'sptes') : options.ftraceAccesses;
  const capture = new FtraceCapture(mode, options, sink);
  const lines = await readInputsInTurn(inputs, sink, onProgress, (reader, inputIndex, file) => {
    const lineNo = reader.lineNo;
    const bad = (reason: string): void => capture.skips.bad(reason, file, lineNo, () => reader.text());
    if (reader.tooLong) bad('line longer than 64 KiB');
    else capture.line(reader.text(), inputIndex, lineNo, bad);
  });
  return {
    format: 'ftrace',
    inputs: inputs.map((input) => input.name),
    lines,
    rows: capture.rows,
    levelEvents: capture.levelEvents,
    hasTime: true,
    skipped: capture.skips.list(),
    mapping: describeMapping(mode, autoPicked, options, capture.threadNames, capture.base?.text),
  };
}

/** The first row's timestamp, which every row's `time` counts from. */
interface TimeBase {
  seconds: number;
  fractionNs: number;
  /** No fraction: the `counter` clock, whose units are counted as they are. */
  counterClock: boolean;
  text: string;
}

/** Reports a bad line (counted, or thrown with `--strict`). */
type BadLine = (reason: string) => void;

/** The state of one import: what the lines seen so far decided (vCPU ids, time base, GFNs seen). */
class FtraceCapture {
  readonly skips: SkipCounter;
  /** Thread names in vCPU order (the threads that got an id). */
  readonly threadNames: string[] = [];
  base: TimeBase | undefined;
  rows = 0;
  levelEvents = 0;
  private readonly threadVcpu = new Map<string, number>();
  private readonly lastTimeNs = new Float64Array(MAX_VCPU_ID + 1).fill(-1);
  private readonly gfnsSeen = new Set<number>();

  constructor(
    private readonly mode: FtraceAccessMode,
    private readonly options: ImportOptions,
    private readonly sink: ImportSink,
  ) {
    this.skips = new SkipCounter(options.strict);
  }

  /** One line of input: a row and/or a level event for the sink, or a skip. */
  line(text: string, inputIndex: number, lineNo: number, bad: BadLine): void {
    // 1. Expected non-event lines, then the line's shape, then the event's fields.
    const decoded = this.decode(text, bad);
    if (decoded === undefined) return;
    const { line, event } = decoded;
    // 2. The access this line makes, if any; level events are passed on either way (after their access).
    const access = this.accessOf(line, event, inputIndex, lineNo);
    if (access === undefined) return;
    // 3. vCPU and time; a thread gets its id only once it makes a row.
    const knownThread = this.threadVcpu.get(line.threadKey);
    const vcpu = access.vcpu >= 0 ? access.vcpu : (knownThread ?? this.threadVcpu.size);
    if (vcpu > MAX_VCPU_ID) {
      bad(`more than ${MAX_VCPU_ID + 1} vCPU threads`);
      return;
    }
    const timeNs = this.timeOf(line, vcpu, bad);
    if (timeNs < 0) return;
    if (access.vcpu < 0 && knownThread === undefined) {
      this.threadVcpu.set(line.threadKey, vcpu);
      this.threadNames.push(line.threadName);
    }
    this.sink.access(access.op, vcpu, access.gpa, 1, inputIndex, lineNo, timeNs);
    this.rows++;
    if (event.kind === 'level') {
      this.gfnsSeen.add(event.gfn);
      this.sink.level?.(event.gfn, event.level, event.event, inputIndex, lineNo);
      this.levelEvents++;
    }
  }

  /** Step 1: the line as an event this importer reads, or undefined (counted as ignored or bad). */
  private decode(text: string, bad: BadLine): { line: FtraceLine; event: FtraceEvent & { kind: 'fault' | 'level' } } | undefined {
    const expected = nonEventReason(text);
    if (expected !== undefined) return void this.skips.ignored(expected);
    const line = parseFtraceLine(text);
    if (line === undefined) return void bad('not an ftrace event line (task-pid [cpu] flags timestamp: event: fields)');
    const known = FTRACE_EVENTS.has(line.event) && (line.system === undefined || line.system === 'kvm' || line.system === 'kvmmmu');
    if (!known) return void this.skips.ignored(`event not imported: ${line.system === undefined ? '' : `${line.system}:`}${line.event}`);
    const event = decodeFtraceEvent(line.event, line.fields, this.options.x86ErrorCode);
    if (event.kind === 'bad') return void bad(event.reason);
    if (event.kind === 'noLeaf') return void this.skips.ignored('kvm_tdp_mmu_spte_changed that installs no leaf');
    return { line, event };
  }

  /**
   * Step 2: the access an event makes (vcpu -1: the event names none), or undefined. A level
   * event makes one in `sptes` mode, the first time its GFN is seen; otherwise it goes to the sink
   * as a level event at once.
   */
  private accessOf(
    line: FtraceLine,
    event: FtraceEvent & { kind: 'fault' | 'level' },
    inputIndex: number,
    lineNo: number,
  ): { op: Op; gpa: number; vcpu: number } | undefined {
    if (event.kind === 'level') {
      const gpa = gfnToGpa(event.gfn);
      if (gpa >= this.options.gpaBelow) return void this.skips.ignored('GPA at or above --gpa-below');
      if (this.mode !== 'sptes' || event.event === 'kvm_tdp_mmu_spte_changed' || this.gfnsSeen.has(event.gfn)) {
        this.sink.level?.(event.gfn, event.level, event.event, inputIndex, lineNo);
        this.levelEvents++;
        return undefined;
      }
      return { op: Op.W, gpa, vcpu: -1 };
    }
    if (this.mode === 'sptes') return void this.skips.ignored(`${line.event} (accesses from SPTE events)`);
    if (event.gpa >= this.options.gpaBelow) return void this.skips.ignored('GPA at or above --gpa-below');
    return { op: event.op, gpa: event.gpa, vcpu: event.vcpu };
  }

  /** Step 3: the row's time in ns since the first row, or -1 for a bad timestamp; sets the base on the first row. */
  private timeOf(line: FtraceLine, vcpu: number, bad: BadLine): number {
    const counterClock = line.fraction === '';
    const seconds = Number(line.seconds);
    const fractionNs = counterClock ? 0 : Number(line.fraction.padEnd(9, '0'));
    const from = this.base ?? { seconds, fractionNs, counterClock, text: counterClock ? line.seconds : `${line.seconds}.${line.fraction}` };
    const fail = (reason: string): number => {
      bad(reason);
      return -1;
    };
    if (from.counterClock !== counterClock) return fail(`timestamp ${counterClock ? 'without' : 'with'} a fraction, unlike the first row's (${from.text})`);
    const timeNs = (seconds - from.seconds) * (counterClock ? 1 : NS_PER_SECOND) + (fractionNs - from.fractionNs);
    if (timeNs < 0) return fail(`timestamp earlier than the first row's (${from.text})`);
    if (timeNs > Number.MAX_SAFE_INTEGER) return fail('timestamp too far from the first row');
    if (timeNs < this.lastTimeNs[vcpu]) return fail(`timestamp earlier than the previous row of vCPU ${vcpu}`);
    this.base = from;
    this.lastTimeNs[vcpu] = timeNs;
    return timeNs;
  }
}

/** Header-comment sentences saying how the capture became rows. */
function describeMapping(mode: FtraceAccessMode, autoPicked: boolean, options: ImportOptions, threadNames: string[], baseText: string | undefined): string[] {
  const why = autoPicked ? (mode === 'faults' ? ' (auto: the input has fault lines)' : ' (auto: the input has no kvm_page_fault/kvm_guest_fault line)') : '';
  const lines =
    mode === 'faults'
      ? [
          `accesses: faults${why}: kvm_page_fault (x86 error_code as ${options.x86ErrorCode === 'ept' ? 'EPT exit qualification: bit 2 fetch -> X, bit 1 write -> W' : 'PFERR: bit 4 fetch -> X, bit 1 write -> W'}, else R), kvm_guest_fault (ESR EC 0x20/0x21 -> X, EC 0x24/0x25 with WnR -> W, else R)`,
        ]
      : [`accesses: sptes${why}: one W at the first byte of each GFN, at its first kvm_mmu_spte_requested or kvm_mmu_set_spte`];
  lines.push('size: 1 byte per access; vCPU: the event\'s "vcpu N", else the task\'s thread in order of its first row');
  threadNames.slice(0, MAX_THREADS_LISTED).forEach((name, vcpu) => {
    lines.push(`thread vCPU ${vcpu}: ${name}`);
  });
  if (threadNames.length > MAX_THREADS_LISTED) lines.push(`(${threadNames.length - MAX_THREADS_LISTED} more threads not listed)`);
  lines.push(`time: nanoseconds since the first row's timestamp${baseText === undefined ? '' : ` (${baseText})`}`);
  if (options.gpaBelow < GPA_LIMIT) lines.push(`--gpa-below 0x${options.gpaBelow.toString(16)}: accesses and level events at or above it left out`);
  return lines;
}
