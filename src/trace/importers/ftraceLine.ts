/**
 * The common shape of an event line as `trace_pipe`/`trace`, `trace-cmd report`
 * and `perf script` print it:
 *
 *     kvo-13039   [001] ...1.  2839.029006: kvm_mmu_spte_requested: gfn e79f pfn 20094c level 1
 *     CPU 0/KVM-4242 (4200) [003] d..1. 1000.000001: kvm_page_fault: vcpu 0 rip ... (trace, record-tgid)
 *     CPU 0/KVM-4242 [003]  1000.000001: kvm_page_fault:       vcpu 0 rip ...    (trace-cmd report)
 *     CPU 0/KVM  4242 [003] 1000.000001:  kvm:kvm_page_fault: vcpu 0 rip ...    (perf script)
 *
 * Task names may hold spaces, dashes and digits (QEMU names vCPU threads
 * `CPU 0/KVM`), so the line is read from its timestamp: the first
 * `SECONDS[.FRACTION]: ` token. Every step is a linear scan or an anchored,
 * bounded regex: no input line can make parsing slow.
 */

/** An event line split into its parts. */
export interface FtraceLine {
  /** Identity of the task: `tid:4242` when a pid/tid was found, else `task:NAME`. */
  threadKey: string;
  /** The task as printed (`CPU 0/KVM-4242`), for the header comment. */
  threadName: string;
  /** Timestamp: whole seconds and the fraction's digits (`''` when none, e.g. the counter clock). */
  seconds: string;
  fraction: string;
  /** `kvm` in perf's `kvm:kvm_page_fault`; undefined when the line names the event alone. */
  system: string | undefined;
  event: string;
  /** Everything after `event:`, trimmed. */
  fields: string;
}

const TIMESTAMP = /^(\d{1,12})(?:\.(\d{1,9}))?$/;
const EVENT_NAME = /(\w{1,64})(?::(\w{1,64}))?:(?=\s|$)/y;
const CPU_FIELD = /^(.*)\[\d{1,5}\]/;
const COMM_PID = /^(.*)-(\d{1,10})$/;
const TID = /^\d{1,10}(?:\/(\d{1,10}))?$/;
const FLAGS = /^[.a-zA-Z0-9]{4,5}$/;

const isBlank = (code: number): boolean => code === 0x20 || code === 0x09;

/** Split an event line; undefined when it has no `TIMESTAMP: event:` part. */
export function parseFtraceLine(text: string): FtraceLine | undefined {
  // 1. The timestamp: the first blank-delimited token before ": " that is SECONDS[.FRACTION].
  let from = 0;
  let tokenStart = -1;
  let colon = -1;
  let stamp: RegExpExecArray | null = null;
  for (;;) {
    colon = text.indexOf(': ', from);
    if (colon < 0) return undefined;
    tokenStart = colon;
    while (tokenStart > 0 && !isBlank(text.charCodeAt(tokenStart - 1))) tokenStart--;
    stamp = TIMESTAMP.exec(text.slice(tokenStart, colon));
    if (stamp !== null) break;
    from = colon + 2;
  }
  // 2. The event name, after blanks: `event:` or perf's `system:event:`.
  let at = colon + 2;
  while (at < text.length && isBlank(text.charCodeAt(at))) at++;
  EVENT_NAME.lastIndex = at;
  const name = EVENT_NAME.exec(text);
  if (name === null) return undefined;
  const thread = threadOf(text.slice(0, tokenStart).trim());
  return {
    ...thread,
    seconds: stamp[1],
    fraction: stamp[2] ?? '',
    system: name[2] === undefined ? undefined : name[1],
    event: name[2] ?? name[1],
    fields: text.slice(EVENT_NAME.lastIndex).trim(),
  };
}

/**
 * The task in the part before the timestamp: drop `[CPU]` and what follows it
 * (ftrace's flags), a `(TGID)` column, flags printed before the CPU, then read
 * `comm-PID` (ftrace, trace-cmd) or `comm TID` / `comm PID/TID` (perf).
 */
function threadOf(prefix: string): { threadKey: string; threadName: string } {
  const cpu = CPU_FIELD.exec(prefix);
  let head = (cpu === null ? prefix : cpu[1]).trim();
  if (head.endsWith(')')) {
    const open = head.lastIndexOf('(');
    if (open >= 0 && /^\(\s*-*\d*\)$/.test(head.slice(open))) head = head.slice(0, open).trim();
  }
  const tokens = head.split(/\s+/);
  const last = tokens[tokens.length - 1];
  if (tokens.length > 1 && FLAGS.test(last) && last.includes('.')) {
    tokens.pop();
    head = tokens.join(' ');
  }
  const final = tokens[tokens.length - 1];
  const commPid = COMM_PID.exec(final);
  if (commPid !== null) return { threadKey: `tid:${commPid[2]}`, threadName: head };
  const tid = TID.exec(final);
  if (tokens.length > 1 && tid !== null) return { threadKey: `tid:${tid[1] ?? final}`, threadName: head };
  return { threadKey: `task:${head}`, threadName: head };
}
