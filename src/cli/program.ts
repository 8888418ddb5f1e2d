/**
 * The `mmubench` command line (main.ts runs it). Each subcommand validates its
 * options once and returns an exit code: 0 success, 1 run failed, 2 bad usage
 * or bad input (with a one-line cause on stderr).
 */
import { Command, CommanderError } from 'commander';
import { EXIT_BAD_INPUT, EXIT_FAILED, InputError, IoError, isSystemError, systemCause } from '../errors.js';
import { VERSION } from './version.js';
import type { Seams } from './seams.js';

/** Defines one subcommand, its flags and its action, on the program. */
type RegisterCommand = (program: Command, setExit: (code: number) => void, seams: Seams) => void;

/**
 * Every subcommand, in help order, with the module that registers it,
 * loaded when needed: a command line loads only its own command's modules
 * (`run` does not load validate's, record's, nightly's...: about 20 ms of
 * start-up, docs/benchmarks.md), `--version` none. Help and unknown names
 * load them all, so help lists every command and commander can suggest one.
 * test/cli-command-table.test.ts holds the names to the registrations.
 */
export const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<RegisterCommand>]> = [
  ['run', async () => (await import('./registerRunCommand.js')).registerRunCommand],
  ['merge', async () => (await import('./mergeCommand.js')).registerMergeCommand],
  ['validate', async () => (await import('./validateCommand.js')).registerValidateCommand],
  ['record', async () => (await import('./recordCommand.js')).registerRecordCommand],
  ['calibrate', async () => (await import('./calibrateCommand.js')).registerCalibrateCommand],
  ['compare', async () => (await import('./compareCommand.js')).registerCompareCommand],
  ['convert', async () => (await import('./convertCommand.js')).registerConvertCommand],
  ['import', async () => (await import('./importCommand.js')).registerImportCommand],
  ['check-levels', async () => (await import('./checkLevelsCommand.js')).registerCheckLevelsCommand],
  ['gen', async () => (await import('./genCommand.js')).registerGenCommand],
  ['nightly', async () => (await import('./nightlyCommand.js')).registerNightlyCommand],
];

async function buildProgram(argv: readonly string[], setExit: (code: number) => void, seams: Seams): Promise<Command> {
  const program = new Command('mmubench')
    .description('Trace-driven benchmarking harness for the KVM stage-2 MMU')
    .version(VERSION)
    .exitOverride()
    // Usage errors are one line, like every other exit-2 cause.
    .configureOutput({ outputError: (text, write) => write(`mmubench: ${text.replace(/^error: /, '').trimEnd()} (see --help)\n`) });

  const first = argv[2];
  const named = COMMANDS.find(([name]) => name === first);
  const version = first === '-V' || first === '--version';
  // Loaded side by side (as static imports would be), registered in table order.
  const registers = await Promise.all((named ? [named] : version ? [] : COMMANDS).map(([, load]) => load()));
  for (const register of registers) register(program, setExit, seams);

  return program;
}

/** Run the command line `argv` (as `process.argv`: node, script, arguments); returns the exit code. */
export async function runProgram(argv: string[], seams: Seams = {}): Promise<number> {
  let exitCode = 0;
  try {
    const program = await buildProgram(
      argv,
      (code) => {
        exitCode = code;
      },
      seams,
    );
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
