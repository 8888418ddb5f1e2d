/**
 * `mmubench validate TRACE [scenario flags] [--out DIR]`: the trace in a real
 * KVM guest (native/kvm-runner, /dev/kvm) beside the model's prediction for
 * the same scenario and layout (docs/validation.md). Exit 0 when every pair
 * that must agree agrees (or when the host cannot run it: skipped, with why),
 * 1 when one differs or the runner fails, 2 for bad input.
 */
import { Option, type Command } from 'commander';
import { DEFAULTS } from '../defaults.js';
import { EXIT_FAILED, EXIT_OK, InputError } from '../errors.js';
import { parseMatrix, parseMemslots, type RawMatrixOptions } from '../replay/parseMatrix.js';
import { checkOutputPath } from '../outputPath.js';
import { loadTrace } from '../trace/loadTrace.js';
import { validateLayout } from '../replay/validateLayout.js';
import { readHostFacts } from '../validate/hostFacts.js';
import { HUGE_2M_SOURCES, type Huge2mSource } from '../validate/runnerJob.js';
import { validateTrace } from '../validate/validateTrace.js';
import { validationTable } from '../validate/validationReport.js';
import { writeValidation } from '../validate/writeValidation.js';
import { ARCHES, archProfile } from '../mmu/arch/archProfile.js';

/** Profiles an x86 host's KVM can check (`ArchProfile.hostValidatable`). */
const HOST_ARCHES = ARCHES.filter((arch) => archProfile(arch).hostValidatable);

export interface ValidateCommandOptions extends RawMatrixOptions {
  out?: string;
  force?: boolean;
  hostMemory?: string;
  quiet?: boolean;
}

/** Run `validate`; returns the exit code. */
export async function validateCommand(tracePath: string, options: ValidateCommandOptions): Promise<number> {
  // 1. Options, once.
  const memslots = parseMemslots(options.memslot ?? []);
  const scenarios = parseMatrix({ ...options, prefault: options.prefault ?? 'none' });
  if (scenarios.length !== 1) throw new InputError(`validate runs one scenario: give one value per flag (got ${scenarios.length} scenarios)`);
  const scenario = scenarios[0];
  if (!archProfile(scenario.arch).hostValidatable) {
    throw new InputError(`--arch: validate compares with this host's x86 KVM, so only ${HOST_ARCHES.join(', ')} (got "${scenario.arch}")`);
  }
  const huge2m = (options.hostMemory ?? 'thp') as Huge2mSource;
  if (!(HUGE_2M_SOURCES as readonly string[]).includes(huge2m))
    throw new InputError(`--host-memory: "${options.hostMemory}" is not one of ${HUGE_2M_SOURCES.join(', ')}`);
  if (options.out !== undefined) await checkOutputPath('--out', options.out, { kind: 'folder-new', force: options.force === true });
  // 2. Trace and layout.
  const trace = await loadTrace(tracePath);
  const layout = { memslots, defaultSlotAlignBytes: DEFAULTS.defaultSlotAlignBytes };
  validateLayout([scenario], layout);
  // 3. Validate.
  const outcome = validateTrace({ trace, scenario, layout, huge2m, facts: readHostFacts() });
  if (outcome.kind === 'skipped') {
    process.stderr.write(`mmubench: validate skipped: ${outcome.reason}\n`);
    return EXIT_OK;
  }
  if (outcome.kind === 'failed') {
    if (outcome.badInput) throw new InputError(`${trace.path}: ${outcome.message}`);
    process.stderr.write(`mmubench: validate failed: ${outcome.message}\n`);
    return EXIT_FAILED;
  }
  const report = outcome.report;
  if (!options.quiet) {
    process.stdout.write(`${report.trace}: ${report.modelledAs} (guest memory ${report.hostBacking})\n`);
    for (const line of report.host) process.stdout.write(`  ${line}\n`);
    for (const note of report.notes) process.stdout.write(`  note: ${note}\n`);
    process.stdout.write(`\n${validationTable(report)}`);
  }
  if (options.out !== undefined) await writeValidation(options.out, report, options.force === true);
  return report.agree ? EXIT_OK : EXIT_FAILED;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Add `validate` to the program. */
export function registerValidateCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description("run a trace in a real KVM guest (/dev/kvm) and compare KVM's own counters with the model (docs/validation.md)")
    .argument('<trace>', 'trace file (CSV, docs/trace-format.md)')
    .option('--out <dir>', 'also write validation.csv, validation.md and validation.html to this new folder')
    .option('--force', 'replace --out if it exists')
    .option('--arch <arch>', `architecture profile: only ${HOST_ARCHES.join(', ')} can be compared with an x86 host`, HOST_ARCHES[0])
    .option('--max-level <level>', 'largest mapping level: 4k, 2m, 1g (the real guest maps its memory with pages of this size)', DEFAULTS.maxLevel)
    .option('--backing <level>', 'host page size behind the memslots: 4k (anonymous), 2m (see --host-memory), 1g (hugetlbfs)', DEFAULTS.backing)
    .addOption(
      new Option('--host-memory <kind>', 'what backs --backing 2m in the real guest: thp (madvise MADV_HUGEPAGE) or hugetlbfs (needs nr_hugepages)')
        .choices([...HUGE_2M_SOURCES])
        .default('thp'),
    )
    .option('--prefault <spec>', 'none | all | GPA:SIZE[+GPA:SIZE...], issued on vCPU 0 before the trace', 'none')
    .option('--prefault-policy <policy>', `upstream | exact [default: ${DEFAULTS.prefaultPolicy}]`)
    .option('--nx-huge-pages <on|off>', `x86 NX huge pages mitigation in the model (the host's own setting is reported) [default: ${DEFAULTS.nxHugePages}]`)
    .option('--eager-split <mode>', 'auto | on | off (auto: what this host does) [default: auto]')
    .option('--dirty-log-off <mode>', 'auto | recover | zap | keep (auto: what this host does) [default: auto]')
    .option(
      '--slot-zap <kind>',
      `memslot delete: all (the runner keeps KVM_X86_QUIRK_SLOT_ZAP_ALL, upstream) | slot (the runner disables it) [default: ${DEFAULTS.slotZap}]`,
    )
    .option('--memslot <gpa:size>', 'a memslot (repeatable); default: one slot from 0 over all touched memory, rounded up to 1 GiB', collect)
    .option('-q, --quiet', 'print nothing but errors')
    .addHelpText(
      'after',
      '\nExit status: 0 every pair that must agree agrees (or nothing could be compared here: skipped, with why on stderr), 1 a pair differs or the real guest failed, 2 bad input.',
    )
    .action(async (trace: string, options: ValidateCommandOptions) => setExit(await validateCommand(trace, options)));
}
