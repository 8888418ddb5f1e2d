/**
 * The runner's JSON output (native/kvm-runner/main.c), checked once, and
 * the kernel counters validation compares, summed over vCPUs. Pure.
 */

/** KVM_PRE_FAULT_MEMORY as the kernel answered it. */
export interface KernelPrefaultCall {
  line: number;
  vcpu: number;
  gpa: number;
  sizeBytes: number;
  /** 0 or -errno. */
  result: number;
  remainingBytes: number;
}

/** KVM_GET_DIRTY_LOG read when a slot's logging stopped (line 0: still on at the end). */
export interface KernelDirtyLog {
  line: number;
  slot: number;
  dirtyPages: number;
}

/** One timed event (PREFAULT, a host event, TOUCH): ns of its ioctls or of its KVM_RUN. */
export interface RunnerTiming {
  line: number;
  op: string;
  sizeBytes: number;
  ns: number;
  /** PREFAULT: 0 or the first call's -errno. */
  result: number;
}

export interface RunnerOutput {
  guestPageBytes: number;
  guestPageAskedBytes: number;
  guestPdpe1gb: boolean;
  hostPageBytes: number;
  /** Bytes of the trace's memslots backed by huge host pages at the end. */
  hostHugeBytes: number;
  capPreFaultMemory: boolean;
  slotZapAllQuirkDisabled: boolean;
  /** Times the runner mapped its own memslot again, off the books, after a zap-all deletion (0 from a runner without them). */
  sysRewarms: number;
  manualDirtyProtect: boolean;
  prefault: KernelPrefaultCall[];
  dirtyLog: KernelDirtyLog[];
  /** Timed events, in order (empty from a runner without them). */
  timings: RunnerTiming[];
  /** Differences of every scalar VM statistic, by KVM's name. */
  vm: Record<string, number>;
  /** Differences of every scalar vCPU statistic, per vCPU. */
  vcpus: Record<string, number>[];
}

function need<T>(value: unknown, what: string, check: (v: unknown) => boolean): T {
  if (!check(value)) throw new Error(`field ${what} is missing or malformed`);
  return value as T;
}

const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const isBool = (v: unknown): boolean => typeof v === 'boolean';
const isCounters = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => isNumber(x));

/** Parse and check the runner's stdout. Throws `Error` naming the bad field. */
export function parseRunnerOutput(text: string): RunnerOutput {
  const o = JSON.parse(text) as Record<string, unknown>;
  return {
    guestPageBytes: need(o.guestPageBytes, 'guestPageBytes', isNumber),
    guestPageAskedBytes: need(o.guestPageAskedBytes, 'guestPageAskedBytes', isNumber),
    guestPdpe1gb: need(o.guestPdpe1gb, 'guestPdpe1gb', isBool),
    hostPageBytes: need(o.hostPageBytes, 'hostPageBytes', isNumber),
    hostHugeBytes: need(o.hostHugeBytes, 'hostHugeBytes', isNumber),
    capPreFaultMemory: need(o.capPreFaultMemory, 'capPreFaultMemory', isBool),
    slotZapAllQuirkDisabled: need(o.slotZapAllQuirkDisabled, 'slotZapAllQuirkDisabled', isBool),
    sysRewarms: o.sysRewarms === undefined ? 0 : need(o.sysRewarms, 'sysRewarms', isNumber),
    manualDirtyProtect: need(o.manualDirtyProtect, 'manualDirtyProtect', isBool),
    prefault: need(o.prefault, 'prefault', Array.isArray),
    dirtyLog: need(o.dirtyLog, 'dirtyLog', Array.isArray),
    timings:
      o.timings === undefined
        ? []
        : need(
            o.timings,
            'timings',
            (v) =>
              Array.isArray(v) && v.every((t) => typeof t === 'object' && t !== null && isNumber((t as RunnerTiming).ns) && isNumber((t as RunnerTiming).line)),
          ),
    vm: need(o.vm, 'vm', isCounters),
    vcpus: need(o.vcpus, 'vcpus', (v) => Array.isArray(v) && v.length > 0 && v.every(isCounters)),
  };
}

/** The kernel statistics validation compares, VM-wide and summed over vCPUs (absent ones are 0). */
export interface KernelCounters {
  pf_taken: number;
  pf_fixed: number;
  pf_spurious: number;
  pf_fast: number;
  pf_emulate: number;
  pf_mmio_spte_created: number;
  pages_4k: number;
  pages_2m: number;
  pages_1g: number;
  mmu_cache_miss: number;
  remote_tlb_flush_requests: number;
  remote_tlb_flush: number;
  nx_lpage_splits: number;
}

const VCPU_STATS = ['pf_taken', 'pf_fixed', 'pf_spurious', 'pf_fast', 'pf_emulate', 'pf_mmio_spte_created'] as const;
const VM_STATS = ['pages_4k', 'pages_2m', 'pages_1g', 'mmu_cache_miss', 'remote_tlb_flush_requests', 'remote_tlb_flush', 'nx_lpage_splits'] as const;

/** Sum the vCPU statistics over vCPUs; take the VM ones as they are. */
export function kernelCounters(output: Pick<RunnerOutput, 'vm' | 'vcpus'>): KernelCounters {
  const out = {} as KernelCounters;
  for (const name of VCPU_STATS) out[name] = output.vcpus.reduce((sum, v) => sum + (v[name] ?? 0), 0);
  for (const name of VM_STATS) out[name] = output.vm[name] ?? 0;
  return out;
}
