/**
 * `mmubench gen --kind memstress`: the access pattern of the KVM selftests'
 * memstress library (tools/testing/selftests/kvm/lib/memstress.c), which
 * demand_paging_test, dirty_log_perf_test, access_tracking_perf_test and
 * memslot_perf_test drive.
 *
 * What the guest does, in `memstress_guest_code(vcpu_idx)`:
 *
 *     rand_state = new_guest_random_state(random_seed + vcpu_idx);
 *     while (true) {
 *         for (i = 0; i < pages; i++) {                       // one pass
 *             page = random_access ? guest_random_u32(&rand_state) % pages : i;
 *             if (guest_random_u32(&rand_state) % 100 < write_percent)
 *                 *(uint64_t *)(gva + page * guest_page_size) = ...;   // 8-byte store
 *             else
 *                 READ_ONCE(*(uint64_t *)(gva + page * guest_page_size));
 *         }
 *         GUEST_SYNC(1);                                      // exit to the host
 *     }
 *
 * and `memstress_setup_vcpus` gives vCPU i the region
 * `[gpa + i * vcpu_memory_bytes, +vcpu_memory_bytes)` (partitioned, the
 * default), or every vCPU the whole `nr_vcpus * vcpu_memory_bytes` (`-o`,
 * overlapping). `guest_random_u32` is a Park-Miller LCG:
 * `seed = seed * 48271 % (2^31 - 1)` (lib/test_util.c). The write draw is
 * taken on every page, even when `write_percent` is 100 or 0, so the random
 * pages of a later pass depend on every earlier pass.
 *
 * Rows: one 8-byte access at the first byte of each chosen 4 KiB page. The
 * vCPUs run concurrently; in the trace they take turns, one access each, in
 * vCPU order (every vCPU has the same number of pages per pass). All rows
 * of a pass come before the host's work at its GUEST_SYNC (the harvest rows
 * of `--dirty-log`), and the next pass starts after it, as the host waits for
 * every vCPU to reach the sync before it goes on.
 *
 * Left out: each pass first reads `memstress_args` (a page or two in
 * memslot 0, the test program's own memory, mapped from the first pass);
 * the trace covers the test region only.
 *
 * With `dirtyLog` set, the passes are dirty_log_perf_test's run_test: pass 0
 * populates (100% writes, in order, whatever the options), then
 * DIRTY_LOG_ON, then `iterations` passes each followed by the harvest
 * (DIRTY_LOG_GET, or DIRTY_LOG_CLEAR over the test region), then
 * DIRTY_LOG_OFF.
 */
import { PAGE_SIZE_BYTES } from '../mmu/level.js';

/** How `--dirty-log` harvests after each pass: none, KVM_GET_DIRTY_LOG, or KVM_CLEAR_DIRTY_LOG. */
export const MEMSTRESS_DIRTY_LOG_MODES = ['none', 'get', 'clear'] as const;
export type MemstressDirtyLogMode = (typeof MEMSTRESS_DIRTY_LOG_MODES)[number];

export interface MemstressOptions {
  vcpus: number;
  /** Bytes of test memory per vCPU (`-b`), a multiple of 4 KiB. */
  vcpuMemoryBytes: number;
  /** Passes (without dirty logging), or dirty passes after the populate pass (`-i`). */
  iterations: number;
  /** Chance of a write per access, integer percent 0..100 (`-w`). */
  writePercent: number;
  /** Random page order (`-a`). */
  random: boolean;
  /** `guest_random_seed` (`-r`); vCPU i starts from seed + i (mod 2^32). */
  seed: number;
  /** Every vCPU accesses the whole region (`-o`) instead of its own share. */
  overlap: boolean;
  /** GPA of the test region, 4 KiB aligned. */
  baseGpa: number;
  dirtyLog: MemstressDirtyLogMode;
  /** Memslot the dirty-log rows name (`x_slot`). */
  slot: number;
}

/**
 * The selftests' defaults: DEFAULT_PER_VCPU_MEM_SIZE (1 GiB), write_percent
 * 100 (memstress_create_vm), guest_random_seed 1 (dirty_log_perf_test), one
 * pass (demand_paging_test runs the guest to its first GUEST_SYNC). With
 * dirty logging the default is dirty_log_perf_test's TEST_HOST_LOOP_N (2).
 */
export const MEMSTRESS_DEFAULTS: MemstressOptions = {
  vcpus: 1,
  vcpuMemoryBytes: 1 << 30,
  iterations: 1,
  writePercent: 100,
  random: false,
  seed: 1,
  overlap: false,
  baseGpa: 0,
  dirtyLog: 'none',
  slot: 0,
};
/** `--iterations` default with `--dirty-log` (dirty_log_perf_test's TEST_HOST_LOOP_N). */
export const DIRTY_LOG_DEFAULT_ITERATIONS = 2;

/** Bytes of each access: the guest's `uint64_t` load or store. */
const ACCESS_BYTES = 8;
/** Park-Miller modulus and multiplier of `guest_random_u32`. */
const LCG_MODULUS = 2 ** 31 - 1;
const LCG_MULTIPLIER = 48271;
/** Pages of KVM_CLEAR_DIRTY_LOG's alignment unit: `first_page` must be a multiple of 64. */
export const CLEAR_ALIGN_BYTES = 64 * PAGE_SIZE_BYTES;

/** `guest_random_u32`: the next state (and output) after `state`; exact, since state * 48271 < 2^53. */
export function guestRandomU32(state: number): number {
  return (state * LCG_MULTIPLIER) % LCG_MODULUS;
}

/** Test-region pages each vCPU walks per pass. */
export function memstressPagesPerVcpu(options: MemstressOptions): number {
  const pages = options.vcpuMemoryBytes / PAGE_SIZE_BYTES;
  return options.overlap ? pages * options.vcpus : pages;
}

/**
 * How many lines `generateMemstress(options)` writes: the comment, the
 * header, one row per page and vCPU in each pass (with `--dirty-log`, the
 * populate pass too), and the dirty-log rows (on, a harvest per pass, off).
 */
export function memstressLines(options: MemstressOptions): number {
  const rowsPerPass = memstressPagesPerVcpu(options) * options.vcpus;
  if (options.dirtyLog === 'none') return 2 + options.iterations * rowsPerPass;
  return 2 + (options.iterations + 1) * rowsPerPass + options.iterations + 2;
}

/** The trace's lines: comment, header, rows. */
export function* generateMemstress(options: MemstressOptions): Generator<string> {
  const { vcpus, dirtyLog, slot } = options;
  const pages = memstressPagesPerVcpu(options);
  const regionBytes = options.vcpuMemoryBytes * vcpus;
  const slotColumn = dirtyLog !== 'none';
  const end = slotColumn ? ',\n' : '\n';
  const state = new Float64Array(vcpus);
  for (let v = 0; v < vcpus; v++) state[v] = (options.seed + v) >>> 0;
  const first = new Float64Array(vcpus);
  for (let v = 0; v < vcpus; v++) first[v] = options.baseGpa + (options.overlap ? 0 : v * options.vcpuMemoryBytes);

  /** One pass of every vCPU, as text blocks of rows. */
  function* pass(writePercent: number, random: boolean): Generator<string> {
    const BATCH = 4096;
    let text = '';
    let count = 0;
    for (let i = 0; i < pages; i++) {
      for (let v = 0; v < vcpus; v++) {
        let page = i;
        if (random) {
          state[v] = guestRandomU32(state[v]);
          page = state[v] % pages;
        }
        state[v] = guestRandomU32(state[v]);
        const op = state[v] % 100 < writePercent ? 'W' : 'R';
        text += `${v},${op},0x${(first[v] + page * PAGE_SIZE_BYTES).toString(16)},${ACCESS_BYTES}${end}`;
        if (++count === BATCH) {
          yield text;
          text = '';
          count = 0;
        }
      }
    }
    if (text !== '') yield text;
  }

  const flags = [
    `--vcpus ${vcpus}`,
    `--vcpu-memory ${options.vcpuMemoryBytes}`,
    `--iterations ${options.iterations}`,
    `--write-percent ${options.writePercent}`,
    `--seed ${options.seed}`,
    `--base-gpa 0x${options.baseGpa.toString(16)}`,
    ...(options.random ? ['--random'] : []),
    ...(options.overlap ? ['--overlap'] : []),
    ...(slotColumn ? [`--dirty-log ${dirtyLog}`, `--slot ${slot}`] : []),
  ];
  yield `# mmubench gen --kind memstress ${flags.join(' ')}\n`;
  yield slotColumn ? 'vcpu,op,gpa,size,x_slot\n' : 'vcpu,op,gpa,size\n';
  if (!slotColumn) {
    for (let p = 0; p < options.iterations; p++) yield* pass(options.writePercent, options.random);
    return;
  }
  // dirty_log_perf_test: populate with 100% sequential writes, enable logging, then dirty and harvest.
  yield* pass(100, false);
  yield `0,DIRTY_LOG_ON,0x0,,${slot}\n`;
  const harvest = dirtyLog === 'get' ? `0,DIRTY_LOG_GET,0x0,,${slot}\n` : `0,DIRTY_LOG_CLEAR,0x${options.baseGpa.toString(16)},${regionBytes},${slot}\n`;
  for (let p = 0; p < options.iterations; p++) {
    yield* pass(options.writePercent, options.random);
    yield harvest;
  }
  yield `0,DIRTY_LOG_OFF,0x0,,${slot}\n`;
}
