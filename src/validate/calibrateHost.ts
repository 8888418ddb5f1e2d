/**
 * `mmubench calibrate`: what this host's KVM takes per stage-2 event,
 * measured through native/kvm-runner (TOUCH: one KVM_RUN of a guest loop
 * writing N guest pages, timed around the run, host memory written before,
 * as KVM's demand_paging_test measures pages per second), and the cost
 * profile derived from it. Job texts and the arithmetic are pure; the
 * measurements run `runKvmRunner`.
 *
 * Per run (a fresh VM each):
 * 1. 4K job (4 KiB backing, 4 KiB guest pages): TOUCH 64 MiB fresh (demand
 *    faults), TOUCH it again (mapped: the baseline, every page a TLB miss),
 *    TOUCH 16 pages 200 times (the KVM_RUN round trip, TLB-resident), a
 *    KVM_PRE_FAULT_MEMORY of another 64 MiB, DIRTY_LOG_ON (write-protects
 *    the 64 MiB), TOUCH (write-protect faults), TOUCH (baseline),
 *    DIRTY_LOG_OFF, then 20 SLOT_DEL/SLOT_ADD of an empty 2 MiB slot.
 * 2. 2M job (THP backing, 2 MiB guest pages): TOUCH 256 MiB fresh, again.
 * 3. ns per event = (fresh - baseline) / pages; the spread over runs is kept.
 */
import { runKvmRunner } from './kvmRunner.js';
import type { RunnerOutput, RunnerTiming } from './runnerOutput.js';
import { COST_KEYS, type CostProfile } from '../replay/costProfile.js';

const MIB = 1 << 20;
/** Pages of the 4K measurements (64 MiB). */
export const CALIBRATE_4K_PAGES = 16384;
/** Pages of the 2M measurement (256 MiB). */
export const CALIBRATE_2M_PAGES = 128;
const ROUND_TRIPS = 200;
const SMALL_PAGES = 16;
const SLOT_CHANGES = 20;
const hex = (n: number): string => `0x${n.toString(16)}`;

/** GPAs of the 4K job: the faulted slot, the pre-faulted slot, the slot added and deleted. */
const SLOT_FAULT = 0;
const SLOT_PREFAULT = 0x10000000;
const SLOT_CHURN = 0x20000000;

/** The 4K job (step 1). Event lines name the measurement: 1 fresh, 2 mapped, 3 round trips, 4 pre-fault, 5 log on, 6 wp, 7 baseline, 8 log off, 9/10 slot del/add. */
export function calibrateJob4k(): string {
  const size = CALIBRATE_4K_PAGES * 4096;
  const lines = [
    'mmubench-kvm-job 1',
    'backing 4k',
    'guest-page 4k',
    'vcpus 1',
    `slot 0 ${hex(SLOT_FAULT)} ${hex(size)}`,
    `slot 1 ${hex(SLOT_PREFAULT)} ${hex(size)}`,
    `slot 2 ${hex(SLOT_CHURN)} ${hex(2 * MIB)}`,
  ];
  lines.push(`ev 1 TOUCH 0 ${hex(SLOT_FAULT)} ${hex(size)} -1`, `ev 2 TOUCH 0 ${hex(SLOT_FAULT)} ${hex(size)} -1`);
  for (let i = 0; i < ROUND_TRIPS; i++) lines.push(`ev 3 TOUCH 0 ${hex(SLOT_FAULT)} ${hex(SMALL_PAGES * 4096)} -1`);
  lines.push(`ev 4 PREFAULT 0 ${hex(SLOT_PREFAULT)} ${hex(size)} -1`, 'ev 5 DIRTY_LOG_ON 0 0 0 0');
  lines.push(`ev 6 TOUCH 0 ${hex(SLOT_FAULT)} ${hex(size)} -1`, `ev 7 TOUCH 0 ${hex(SLOT_FAULT)} ${hex(size)} -1`, 'ev 8 DIRTY_LOG_OFF 0 0 0 0');
  for (let i = 0; i < SLOT_CHANGES; i++) lines.push(`ev 9 SLOT_DEL 0 0 0 2`, `ev 10 SLOT_ADD 0 ${hex(SLOT_CHURN)} ${hex(2 * MIB)} 2`);
  return [...lines, 'end', ''].join('\n');
}

/** The 2M job (step 2): lines 1 fresh, 2 mapped. */
export function calibrateJob2m(): string {
  const size = CALIBRATE_2M_PAGES * 2 * MIB;
  return [
    'mmubench-kvm-job 1',
    'backing thp',
    'guest-page 2m',
    'vcpus 1',
    `slot 0 0x0 ${hex(size)}`,
    `ev 1 TOUCH 0 0x0 ${hex(size)} -1`,
    `ev 2 TOUCH 0 0x0 ${hex(size)} -1`,
    'end',
    '',
  ].join('\n');
}

/** One measured quantity over the runs: ns per event. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  /** Every run's value, in run order. */
  runs: number[];
}

/** What one run measured (ns per event); `undefined` where the host could not measure it. */
export interface RunMeasurement {
  fault4kNs: number;
  fault2mNs?: number;
  writeProtectNs: number;
  prefault4kNs?: number;
  roundTripNs: number;
  /** Per 4 KiB page of the mapped 64 MiB pass, beyond a TLB-resident pass: a last-level TLB miss and its walk. */
  tlbMissWalkNs: number;
  memslotChangeNs: number;
  dirtyLogOnNs: number;
}

export interface CalibrateNotes {
  prefault?: string;
  fault2m?: string;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** min, median, max of `values` (rounded to 0.1 ns). */
export function spread(values: readonly number[]): Spread {
  const r = (x: number): number => Math.round(x * 10) / 10;
  return { min: r(Math.min(...values)), median: r(median(values)), max: r(Math.max(...values)), runs: values.map(r) };
}

const byLine = (timings: readonly RunnerTiming[], line: number): RunnerTiming[] => timings.filter((t) => t.line === line);

/** Step 3 for one run: the 4K job's and the 2M job's outputs to ns per event. */
export function measureRun(out4k: RunnerOutput, out2m: RunnerOutput | undefined): { measurement: RunMeasurement; notes: CalibrateNotes } {
  const t = out4k.timings;
  const one = (line: number): number => byLine(t, line)[0].ns;
  const roundTrips = byLine(t, 3).map((x) => x.ns);
  const notes: CalibrateNotes = {};
  const prefault = byLine(t, 4)[0];
  let prefault4kNs: number | undefined;
  if (prefault.result === 0) prefault4kNs = prefault.ns / CALIBRATE_4K_PAGES;
  else
    notes.prefault = `KVM_PRE_FAULT_MEMORY ${out4k.capPreFaultMemory ? 'failed' : 'is not available here'}: it returned ${errnoName(prefault.result)}${out4k.capPreFaultMemory ? '' : ' (KVM_CAP_PRE_FAULT_MEMORY absent: it needs TDP, and this host runs shadow paging or an older kernel)'}`;
  let fault2mNs: number | undefined;
  if (out2m !== undefined) {
    const t2 = out2m.timings;
    const huge = out2m.hostHugeBytes / (CALIBRATE_2M_PAGES * 2 * MIB);
    if (huge < 1) notes.fault2m = `THP gave ${(huge * 100).toFixed(0)}% of the 256 MiB as 2 MiB pages: 2M faults not measured`;
    else fault2mNs = (byLine(t2, 1)[0].ns - byLine(t2, 2)[0].ns) / CALIBRATE_2M_PAGES;
  }
  const churn = [...byLine(t, 9), ...byLine(t, 10)].map((x) => x.ns);
  return {
    measurement: {
      fault4kNs: (one(1) - one(2)) / CALIBRATE_4K_PAGES,
      ...(fault2mNs === undefined ? {} : { fault2mNs }),
      writeProtectNs: (one(6) - one(7)) / CALIBRATE_4K_PAGES,
      ...(prefault4kNs === undefined ? {} : { prefault4kNs }),
      roundTripNs: median(roundTrips),
      // The mapped pass less a TLB-resident round trip: what the extra pages cost, all TLB misses.
      tlbMissWalkNs: Math.max(0, (one(2) - median(roundTrips)) / (CALIBRATE_4K_PAGES - SMALL_PAGES)),
      memslotChangeNs: median(churn),
      dirtyLogOnNs: one(5),
    },
    notes,
  };
}

function errnoName(result: number): string {
  const names: Record<number, string> = { [-95]: 'EOPNOTSUPP', [-25]: 'ENOTTY', [-22]: 'EINVAL', [-2]: 'ENOENT', [-14]: 'EFAULT' };
  return names[result] ?? String(result);
}

/** The spread of each measurement over the runs (absent when no run had it). */
export type Measurements = Partial<Record<keyof RunMeasurement, Spread>>;

export function measurementSpreads(runs: readonly RunMeasurement[]): Measurements {
  const out: Measurements = {};
  const keys: (keyof RunMeasurement)[] = [
    'fault4kNs',
    'fault2mNs',
    'writeProtectNs',
    'prefault4kNs',
    'roundTripNs',
    'tlbMissWalkNs',
    'memslotChangeNs',
    'dirtyLogOnNs',
  ];
  for (const key of keys) {
    const values = runs.map((r) => r[key]).filter((v): v is number => v !== undefined);
    if (values.length > 0) out[key] = spread(values);
  }
  return out;
}

/**
 * The profile from the medians (docs/validation.md, "Calibration", states
 * each rule): measured keys as measured; the 1G fault and pre-fault as 2M
 * (one leaf installed, no 1 GiB pages to measure with); a pre-fault the
 * host cannot do as the fault of its level (the same map path without the
 * exit: an upper bound); an MMIO fault as the KVM_RUN round trip (an exit
 * to userspace and back, which is what it is); events that are an exit
 * handled in the kernel (spurious fault, flush IPI, hypercall, range and
 * full flush requests) as the write-protect fault, the cheapest in-kernel
 * exit measured; a last-level miss and its walk on walk_ref / 4 (the
 * model's four references of a 4K walk without `--pwc`), tlb_miss 0; an
 * eager split as a 2M fault (one table page installed under a huge entry).
 */
export function profileFrom(m: Measurements): CostProfile {
  const med = (key: keyof RunMeasurement): number | undefined => m[key]?.median;
  const fault4k = med('fault4kNs')!;
  const fault2m = med('fault2mNs') ?? fault4k;
  const trip = med('roundTripNs')!;
  const inKernelExit = med('writeProtectNs')!;
  const round = (x: number): number => Math.round(x * 10) / 10;
  const profile: CostProfile = {
    fault_missing_4k: fault4k,
    fault_missing_2m: fault2m,
    fault_missing_1g: fault2m,
    fault_permission: med('writeProtectNs')!,
    fault_spurious: inKernelExit,
    fault_mmio: trip,
    prefault_4k: med('prefault4kNs') ?? fault4k,
    prefault_2m: fault2m,
    prefault_1g: fault2m,
    walk_ref: med('tlbMissWalkNs')! / 4,
    tlb_miss: 0,
    flush_range: inKernelExit,
    flush_full: inKernelExit,
    flush_ipi: inKernelExit,
    hypercall: inKernelExit,
    eager_split: fault2m,
  };
  for (const key of COST_KEYS) profile[key] = round(profile[key]);
  return profile;
}

/** Run the jobs `runs` times; `failed` on the first runner failure (with its message). */
export function runCalibration(
  runs: number,
  onRun?: (done: number) => void,
): { kind: 'ok'; runs: RunMeasurement[]; notes: CalibrateNotes } | { kind: 'failed'; message: string } {
  const measured: RunMeasurement[] = [];
  let notes: CalibrateNotes = {};
  for (let i = 0; i < runs; i++) {
    const a = runKvmRunner(calibrateJob4k());
    if (a.kind !== 'ok') return { kind: 'failed', message: a.kind === 'skipped' ? a.reason : a.message };
    const b = runKvmRunner(calibrateJob2m());
    if (b.kind === 'failed') return { kind: 'failed', message: b.message };
    const run = measureRun(a.output, b.kind === 'ok' ? b.output : undefined);
    if (b.kind === 'skipped') run.notes.fault2m = `2M faults not measured: ${b.reason}`;
    measured.push(run.measurement);
    notes = { ...notes, ...run.notes };
    onRun?.(i + 1);
  }
  return { kind: 'ok', runs: measured, notes };
}
