/**
 * The `mmubench` command line (main.ts runs it). Each subcommand validates its
 * options once and returns an exit code: 0 success, 1 run failed, 2 bad usage
 * or bad input (with a one-line cause on stderr).
 */
import { Command, CommanderError, Option } from 'commander';
import { DEFAULTS } from '../defaults.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, InputError, IoError, isSystemError, systemCause } from '../errors.js';
import { runCommand } from './runCommand.js';
import { genCommand } from './genCommand.js';
import { nightlyCommand } from './nightlyCommand.js';
import { registerMergeCommand } from './mergeCommand.js';
import { addCompareFlags, registerCompareCommand } from './compareCommand.js';
import { registerConvertCommand } from './convertCommand.js';
import { registerImportCommand } from './importCommand.js';
import { registerCheckLevelsCommand } from './checkLevelsCommand.js';
import { registerValidateCommand } from './validateCommand.js';
import { registerCalibrateCommand } from './calibrateCommand.js';
import { VERSION } from './version.js';
import type { Seams } from './seams.js';
import { GENERATOR_DEFAULTS, GEN_KINDS } from '../trace/generators.js';
import { MEMSTRESS_DEFAULTS } from '../trace/memstressGenerator.js';
import { registerRecordCommand } from './recordCommand.js';
import { ARCHES } from '../mmu/arch/archProfile.js';
import { TLB_PRESET_NAMES } from '../tlb/tlbPresets.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `mmubench run`: the matrix flags (comma lists) and the run's own flags (README, "Commands"). */
function registerRunCommand(program: Command, setExit: (code: number) => void, seams: Seams): void {
  program
    .command('run')
    .description('replay traces under every scenario of the matrix and write a report folder')
    .argument(
      '<trace...>',
      'trace files: CSV or binary .mtr (docs/trace-format.md), or FORMAT:path to import on the fly (lackey:prog.log, ftrace:capture.txt; docs/importing.md)',
    )
    .requiredOption('--out <dir>', 'report folder to create (index.html, summary.md, results.csv, run.json, charts/)')
    .option('--arch <list>', `architecture profiles: ${ARCHES.join(', ')}`, DEFAULTS.arch)
    .option('--max-level <list>', 'largest mapping level a fault may use: 4k, 2m, 1g', DEFAULTS.maxLevel)
    .option('--backing <list>', 'host page size behind every memslot: 4k, 2m (THP), 1g (hugetlbfs)', DEFAULTS.backing)
    .option('--prefault <list>', 'none | all | GPA:SIZE[+GPA:SIZE...], issued on vCPU 0 before replay', DEFAULTS.prefault)
    .option(
      '--prefault-policy <list>',
      `upstream (merged KVM: the fault path picks the level, a hole is ENOENT) | exact (seed 002's RFC: never beyond the request, EFAULT at a hole, EAGAIN after partial progress) [default: ${DEFAULTS.prefaultPolicy}]`,
    )
    .option(
      '--prefault-flags <list>',
      `auto (merged KVM: a read, private where the GFN is) | none | write, exec, user, private joined by + (seed 002's KVM_MEMORY_MAPPING_FLAG_*), x86 only [default: ${DEFAULTS.prefaultFlags}]`,
    )
    .option('--nx-huge-pages <list>', `on | off: x86 NX huge pages mitigation (exec faults map 4K) [default: ${DEFAULTS.nxHugePages}]`)
    .option('--eager-split <list>', `auto | on | off: split huge pages when dirty logging starts (auto: x86 on, arm64 off) [default: ${DEFAULTS.eagerSplit}]`)
    .option(
      '--dirty-log-off <list>',
      `auto | recover | zap | zap-leaves | keep: huge pages after dirty logging stops (auto: x86 recover, arm64 keep) [default: ${DEFAULTS.dirtyLogOff}]`,
    )
    .option('--stolen-bits <list>', `auto | none | GPA bit (12-51) | 0x mask: x86 GPA alias bits (auto: 47 for x86-tdx) [default: ${DEFAULTS.stolenBits}]`)
    .option('--fwb <list>', `on | off: arm64 stage-2 forced write-back [default: ${DEFAULTS.fwb}]`)
    .option('--vm <file>', 'VM layout in JSON: memslots with flags, stolenBits, fwb (docs/model.md)')
    .option('--tlb-entries <list>', 'per-vCPU TLB entries', DEFAULTS.tlbEntries)
    .option('--tlb-ways <list>', 'TLB associativity (ways = entries: fully associative)', DEFAULTS.tlbWays)
    .option('--tlb <list>', `TLB geometry: ${TLB_PRESET_NAMES.join(', ')} (simple: --tlb-entries x --tlb-ways) [default: ${DEFAULTS.tlb}]`)
    .option('--pwc <list>', `on | off: paging-structure caches for stage-2 walks [default: ${DEFAULTS.pwc}]`)
    .option('--flush-mode <list>', `auto (the arch's policy) | range | full [default: ${DEFAULTS.flushMode}]`)
    .option('--range-flush <list>', `none | hyperv: x86 range flush hook (Hyper-V enlightened flush) [default: ${DEFAULTS.rangeFlush}]`)
    .option('--tlbi-range <list>', `on | off: arm64 FEAT_TLBIRANGE [default: ${DEFAULTS.tlbiRange}]`)
    .option('--guest-levels <list>', `0 | 4: guest stage-1 levels walked on each TLB miss (2D walks) and by AT rows [default: ${DEFAULTS.guestLevels}]`)
    .option('--alias-flush <list>', `range (seed 001: range + alias) | full (upstream TDX) [default: ${DEFAULTS.aliasFlush}]`)
    .option('--dic <list>', `on | off: arm64 CTR_EL0.DIC (with FWB, needed for cacheable PFNMAP memory) [default: ${DEFAULTS.dic}]`)
    .option(
      '--cow-pfnmap <list>',
      `allow | refuse: arm64 copy-on-write VM_PFNMAP memslots, allowed as upstream or refused (seed 004 v3) [default: ${DEFAULTS.cowPfnmap}]`,
    )
    .option(
      '--hw-af <list>',
      `on | off: arm64 hardware Access Flag (VTCR_EL2.HA); off: an access to an aged page takes an access-flag fault [default: ${DEFAULTS.hwAf}]`,
    )
    .option('--private-huge <list>', `off | on: guest_memfd (private) memory maps 4K as upstream, or at the slot's level [default: ${DEFAULTS.privateHuge}]`)
    .option(
      '--slot-zap <list>',
      `all | slot: x86 memslot delete/move zaps every mapping (KVM_X86_QUIRK_SLOT_ZAP_ALL on) or the slot's [default: ${DEFAULTS.slotZap}]`,
    )
    .option('--memslot <gpa:size>', 'a memslot (repeatable); default: one slot from 0 over all touched memory, rounded up to 1 GiB', collect)
    .option(
      '--threads <n>',
      'worker threads: auto (cores), 0 to replay on the main thread, or per-vcpu (one worker per vCPU on a shared stage-2; not deterministic; docs/per-vcpu-threads.md)',
      'auto',
    )
    .option('--timeout <seconds>', 'time limit per cell; a cell over it fails, the others go on (needs worker threads)')
    .option('--worker-memory <MiB>', 'heap limit of each worker thread; a cell over it fails, the others go on')
    .option(
      '--trace-memory <MiB>',
      `trace events held in memory in all (decoded once, shared by the workers); larger traces stream from their file, 0: all stream [default: ${DEFAULTS.traceMemoryMb}]`,
    )
    .option('--keep-partial', 'on Ctrl-C, write the cells finished so far as a report marked partial')
    .option(
      '--shard <i/n>',
      'run only shard I of N of the (trace x scenario) cells; join shards with merge; auto: I and N from the CI job (GitLab, CircleCI, Buildkite, Kubernetes Indexed Job)',
    )
    .option('--shard-total <n>', "with --shard auto on a Kubernetes Indexed Job: the shard count (the Job's completions)")
    .option(
      '--costs <file>',
      'cost profile (JSON, ns per event; mmubench calibrate writes one) for the est_*_ns estimates [default: built-in, measured on the project host]',
    )
    .option('--no-tlb-reach', 'skip the exact TLB reach curves (tlb-reach.csv and its charts), which cost replay time on miss-heavy traces')
    .option('--force', 'replace --out if it exists')
    .option('-q, --quiet', 'no progress bar or summary line')
    .action(async (traces: string[], options) => setExit(await runCommand(traces, { ...options, seams })));
}

function buildProgram(setExit: (code: number) => void, seams: Seams): Command {
  const program = new Command('mmubench')
    .description('Trace-driven benchmarking harness for the KVM stage-2 MMU')
    .version(VERSION)
    .exitOverride()
    // Usage errors are one line, like every other exit-2 cause.
    .configureOutput({ outputError: (text, write) => write(`mmubench: ${text.replace(/^error: /, '').trimEnd()} (see --help)\n`) });

  registerRunCommand(program, setExit, seams);
  registerMergeCommand(program, setExit);
  registerValidateCommand(program, setExit);
  registerRecordCommand(program, setExit);
  registerCalibrateCommand(program, setExit);
  registerCompareCommand(program, setExit);
  registerConvertCommand(program, setExit);
  registerImportCommand(program, setExit);
  registerCheckLevelsCommand(program, setExit);

  program
    .command('gen')
    .description('write a synthetic, seeded trace')
    .addOption(new Option('--kind <kind>', "access pattern (memstress: the KVM selftests' memstress guest)").choices([...GEN_KINDS]).makeOptionMandatory())
    .requiredOption('--out <file>', 'trace file to write')
    .option('--seed <n>', 'PRNG seed', String(GENERATOR_DEFAULTS.seed))
    .option('--accesses <n>', 'access rows to write', String(GENERATOR_DEFAULTS.accesses))
    .option('--memory <bytes>', 'guest memory from GPA 0 (hex or decimal bytes)', String(GENERATOR_DEFAULTS.memoryBytes))
    .option('--vcpus <n>', 'vCPUs', String(GENERATOR_DEFAULTS.vcpus))
    .option('--hot <bytes>', 'hot-set size for hotcold (working set for nested)', String(GENERATOR_DEFAULTS.hotBytes))
    .option('--hot-fraction <f>', 'share of hotcold and nested accesses to the hot set', String(GENERATOR_DEFAULTS.hotFraction))
    .option('--write-fraction <f>', 'share of writes', String(GENERATOR_DEFAULTS.writeFraction))
    .option('--vcpu-memory <bytes>', `memstress: test memory per vCPU, bytes, a multiple of 4096 [default: ${MEMSTRESS_DEFAULTS.vcpuMemoryBytes}]`)
    .option('--iterations <n>', `memstress: passes over the test memory [default: ${MEMSTRESS_DEFAULTS.iterations}]`)
    .option('--write-percent <n>', `memstress: chance in % (0-100) that an access is a write [default: ${MEMSTRESS_DEFAULTS.writePercent}]`)
    .option('--random', "memstress: pages in random order (the selftest's -a), seeded per vCPU with --seed + vCPU index")
    .option('--overlap', 'memstress: every vCPU accesses the whole test memory (-o) instead of its own region')
    .option('--base-gpa <gpa>', `memstress: GPA of the test memory, 4 KiB aligned [default: ${MEMSTRESS_DEFAULTS.baseGpa}]`)
    .option(
      '--dirty-log [mode]',
      'memstress: the dirty_log_perf_test sequence (populate, DIRTY_LOG_ON, --iterations passes each harvested, DIRTY_LOG_OFF); mode get (KVM_GET_DIRTY_LOG, the default) or clear (KVM_CLEAR_DIRTY_LOG); --iterations then defaults to 2',
    )
    .option('--slot <id>', `memslot the dirty-log rows name (x_slot) [default: ${MEMSTRESS_DEFAULTS.slot}, the default slot]`)
    .action(async (options) => setExit(await genCommand(options)));

  addCompareFlags(
    program
      .command('nightly')
      .description(
        'run the nightly matrix (bench/nightly.json) and the quick benchmark into reports/<timestamp>/, append to reports/history.jsonl, compare with the baseline (docs/comparing.md)',
      )
      .option('--config <file>', 'nightly configuration', DEFAULTS.nightlyConfig)
      .option('--reports <dir>', 'folder that receives the report folders and history.jsonl', DEFAULTS.reportsDir)
      .option('--threads <n>', 'worker threads: auto, or 0 for the main thread', 'auto')
      .option('--baseline <dir>', 'report folder to compare with (default: the previous report in --reports)')
      .option('--bench-time <ms>', 'quick-benchmark CPU time per task, ms; 0 skips the benchmark', DEFAULTS.benchTimeMs)
      .option('--costs <file>', 'cost profile for the est_*_ns estimates, as for run [default: built-in]')
      .option('--no-tlb-reach', 'skip the TLB reach curves, as for run'),
  )
    .option('-q, --quiet', 'no progress bar or summary line')
    .action(async (options) => setExit(await nightlyCommand({ ...options, seams })));

  return program;
}

/** Run the command line `argv` (as `process.argv`: node, script, arguments); returns the exit code. */
export async function runProgram(argv: string[], seams: Seams = {}): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  }, seams);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    return reportError(error, writeStderr, DEBUG);
  }
}

/**
 * The one place that turns an error into an exit code and a stderr line:
 *
 * - commander's usage errors: 2 (it printed its one line), help and version 0;
 * - `InputError` (bad usage, bad input, an unusable path found up front): 2;
 * - `IoError` (the system refused a write while working: full disk, quota,
 *   read-only file system, I/O error): 1;
 * - any other system error (`code` like `EIO`): 1, `PATH: cause (CODE)`;
 * - anything else is a bug: 1, `internal error: message`.
 *
 * Always one line; the stack follows only with MMUBENCH_DEBUG=1.
 */
export function reportError(error: unknown, write: (text: string) => void = writeStderr, debug = DEBUG): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
  let line: string;
  let code = EXIT_FAILED;
  if (error instanceof InputError || error instanceof IoError) {
    line = error.message;
    code = error.exitCode;
  } else if (isSystemError(error)) {
    line = `${error.path ?? error.syscall}: ${systemCause(error)}`;
  } else {
    line = `internal error: ${error instanceof Error ? error.message : String(error)}${debug ? '' : ' (MMUBENCH_DEBUG=1 shows the stack)'}`;
  }
  write(`mmubench: ${line.replace(/\n/g, ' ')}\n`);
  if (debug && error instanceof Error && error.stack !== undefined) write(`${error.stack}\n`);
  return code;
}

const DEBUG = process.env.MMUBENCH_DEBUG === '1';
const writeStderr = (text: string): void => void process.stderr.write(text);
