/**
 * `mmubench run`'s flags: the matrix flags (comma lists, checked by
 * `parseMatrix`) and the run's own flags (README, "Commands"); the command
 * itself is runCommand.ts.
 */
import type { Command } from 'commander';
import { DEFAULTS } from '../defaults.js';
import { ARCHES } from '../mmu/arch/archProfile.js';
import { TLB_PRESET_NAMES } from '../tlb/tlbPresets.js';
import { runCommand } from './runCommand.js';
import type { Seams } from './seams.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Register `run` on `program`. */
export function registerRunCommand(program: Command, setExit: (code: number) => void, seams: Seams): void {
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
