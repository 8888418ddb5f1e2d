#!/usr/bin/env node
/**
 * The `mmubench` command. Each subcommand validates its options once and
 * returns an exit code: 0 success, 1 run failed, 2 bad usage or bad input
 * (with a one-line cause on stderr).
 */
import { Command, CommanderError, Option } from 'commander';
import { DEFAULTS } from './defaults.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, InputError } from './errors.js';
import { runCommand } from './runCommand.js';
import { genCommand } from './genCommand.js';
import { nightlyCommand } from './nightlyCommand.js';
import { VERSION } from './version.js';
import { GENERATOR_DEFAULTS, GENERATOR_KINDS } from '../trace/generators.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('mmubench')
    .description('Trace-driven benchmarking harness for the KVM stage-2 MMU')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('run')
    .description('replay traces under every scenario of the matrix and write a report folder')
    .argument('<trace...>', 'trace files (CSV, docs/trace-format.md)')
    .requiredOption('--out <dir>', 'report folder to create (results.csv, run.json, charts/)')
    .option('--arch <list>', 'architecture profiles: x86-tdp', DEFAULTS.arch)
    .option('--max-level <list>', 'largest mapping level a fault may use: 4k, 2m, 1g', DEFAULTS.maxLevel)
    .option('--backing <list>', 'host page size behind every memslot: 4k, 2m (THP), 1g (hugetlbfs)', DEFAULTS.backing)
    .option('--prefault <list>', 'none | all | GPA:SIZE[+GPA:SIZE...], issued on vCPU 0 before replay', DEFAULTS.prefault)
    .option('--tlb-entries <list>', 'per-vCPU TLB entries', DEFAULTS.tlbEntries)
    .option('--tlb-ways <list>', 'TLB associativity (ways = entries: fully associative)', DEFAULTS.tlbWays)
    .option('--memslot <gpa:size>', 'a memslot (repeatable); default: one slot from 0 over all touched memory, rounded up to 1 GiB', collect)
    .option('--threads <n>', 'worker threads: auto (cores), or 0 to replay on the main thread', 'auto')
    .option('--force', 'replace --out if it exists')
    .option('-q, --quiet', 'no progress bar or summary line')
    .action(async (traces: string[], options) => setExit(await runCommand(traces, options)));

  program
    .command('gen')
    .description('write a synthetic, seeded trace')
    .addOption(new Option('--kind <kind>', 'access pattern').choices([...GENERATOR_KINDS]).makeOptionMandatory())
    .requiredOption('--out <file>', 'trace file to write')
    .option('--seed <n>', 'PRNG seed', String(GENERATOR_DEFAULTS.seed))
    .option('--accesses <n>', 'access rows to write', String(GENERATOR_DEFAULTS.accesses))
    .option('--memory <bytes>', 'guest memory from GPA 0 (hex or decimal bytes)', String(GENERATOR_DEFAULTS.memoryBytes))
    .option('--vcpus <n>', 'vCPUs', String(GENERATOR_DEFAULTS.vcpus))
    .option('--hot <bytes>', 'hot-set size for hotcold', String(GENERATOR_DEFAULTS.hotBytes))
    .option('--hot-fraction <f>', 'share of hotcold accesses to the hot set', String(GENERATOR_DEFAULTS.hotFraction))
    .option('--write-fraction <f>', 'share of writes', String(GENERATOR_DEFAULTS.writeFraction))
    .action(async (options) => setExit(await genCommand(options)));

  program
    .command('nightly')
    .description('run the nightly matrix (bench/nightly.json) over its traces into reports/<timestamp>/')
    .option('--config <file>', 'nightly configuration', DEFAULTS.nightlyConfig)
    .option('--reports <dir>', 'folder that receives the report folders', DEFAULTS.reportsDir)
    .option('--threads <n>', 'worker threads: auto, or 0 for the main thread', 'auto')
    .option('-q, --quiet', 'no progress bar or summary line')
    .action(async (options) => setExit(await nightlyCommand(options)));

  return program;
}

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every other commander error is bad usage.
      return error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    if (error instanceof InputError) {
      process.stderr.write(`mmubench: ${error.message}\n`);
      return EXIT_BAD_INPUT;
    }
    process.stderr.write(`mmubench: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_FAILED;
  }
}

process.exitCode = await main(process.argv);
