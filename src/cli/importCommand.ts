/**
 * `mmubench import --format ftrace|lackey|qemu-mem IN... --out OUT.csv|OUT.mtr`: convert
 * kernel trace text, valgrind lackey logs or QEMU mem plugin output into trace format v1 or a binary
 * trace (docs/importing.md). The output is written to a temporary file and
 * renamed into place; its header comments (an `.mtr`'s source text) record the
 * inputs, the mapping used and the skip counts.
 */
import { CountProgressBar } from './progress.js';
import type { Command } from 'commander';
import { EXIT_OK, InputError, fileIoError } from '../errors.js';
import { checkOutputPath } from '../outputPath.js';
import { VERSION } from './version.js';
import { IMPORT_DEFAULTS, IMPORT_FORMATS, parseImportOptions, type ImportFormat, type RawImportOptions } from '../trace/importers/importOptions.js';
import { importTrace } from '../trace/importers/importTrace.js';
import { CsvTraceWriter } from '../trace/csvTraceWriter.js';
import { MtrTraceSink } from '../trace/importers/mtrTraceSink.js';
import { describeSkips } from '../trace/importers/skipCounter.js';
import type { ImportSummary } from '../trace/importers/importTypes.js';

export interface ImportCommandOptions extends RawImportOptions {
  format: string;
  out: string;
  quiet?: boolean;
}

/** Add `import` to `program`; its action reports the exit code through `setExit`. */
export function registerImportCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('import')
    .description(
      'convert ftrace/perf KVM tracepoint text, valgrind lackey logs or QEMU mem plugin output into a trace (docs/importing.md); exit 0 done, 2 bad input (nothing written)',
    )
    .argument('<input...>', 'files to import (ftrace, qemu-mem: read one after the other as one capture; lackey: one program, and vCPU, each)')
    .requiredOption('--format <format>', `input format: ${IMPORT_FORMATS.join(', ')}`)
    .requiredOption('--out <file>', 'trace to write: .csv (trace format v1) or .mtr (binary trace)')
    .option('--strict', 'stop at the first line the importer does not understand (exit 2); default: skip and count it')
    .option('--gpa-below <gpa>', 'ftrace: leave out accesses and level events at or above this GPA (hex or decimal bytes)')
    .option(
      '--ftrace-accesses <mode>',
      `ftrace: faults | sptes | auto (faults if the input has any, else SPTE events) [default: ${IMPORT_DEFAULTS.ftraceAccesses}]`,
    )
    .option(
      '--x86-error-code <kind>',
      `ftrace: kvm_page_fault error_code as pferr (AMD, shadow paging) | ept (Intel exit qualification) [default: ${IMPORT_DEFAULTS.x86ErrorCode}]`,
    )
    .option('--vcpus <n>', 'lackey: with one input, that many copies of the program, one per vCPU')
    .option('-q, --quiet', 'no progress bar or summary line')
    .action(async (inputs: string[], options: ImportCommandOptions) => setExit(await importCommand(inputs, options)));
}

/** Validate the output name: `.csv` or `.mtr`, in an existing folder that accepts it. */
async function checkOut(out: string): Promise<void> {
  if (!/.\.(csv|mtr)$/i.test(out)) throw new InputError(`--out: "${out}" must end in .csv (trace format v1) or .mtr (binary trace)`);
  await checkOutputPath('--out', out, { kind: 'file' });
}

/** ` (and N level events)` for ftrace imports that saw any. */
function levels(summary: ImportSummary): string {
  return summary.levelEvents > 0 ? ` (and ${summary.levelEvents} level events, kept for check-levels only)` : '';
}

/** The header comments of an imported trace. */
export function importComments(summary: ImportSummary): string[] {
  return [
    `mmubench ${VERSION} import --format ${summary.format}`,
    ...summary.inputs.map((name) => `source: ${name}`),
    ...summary.mapping,
    `rows: ${summary.rows}${levels(summary)} from ${summary.lines} lines`,
    `skipped lines: ${describeSkips(summary.skipped)}`,
  ];
}

/** Import and write; returns the exit code. */
export async function importCommand(inputs: string[], options: ImportCommandOptions): Promise<number> {
  // 1. Options, once, at the boundary.
  if (!(IMPORT_FORMATS as readonly string[]).includes(options.format)) {
    throw new InputError(`--format: "${options.format}" is not one of ${IMPORT_FORMATS.join(', ')}`);
  }
  const format = options.format as ImportFormat;
  await checkOut(options.out);
  if (inputs.length === 0) throw new InputError('import: give at least one input file');
  const importOptions = parseImportOptions(format, options, inputs.length);
  // 2. Stream every input into the writer; on any error leave nothing behind.
  const writer = /\.mtr$/i.test(options.out)
    ? new MtrTraceSink(options.out)
    : new CsvTraceWriter(options.out, { time: format === 'ftrace', headerComments: true, flag: '--out' });
  const progress = new CountProgressBar('import', options.quiet === true);
  let summary: ImportSummary;
  try {
    summary = await importTrace(
      format,
      inputs.map((path) => ({ name: path, path })),
      importOptions,
      writer,
      (done, total) => progress.update(done, total),
    );
    progress.stop();
    if (summary.rows === 0) {
      throw new InputError(`${inputs.join(', ')}: no access rows in ${summary.lines} lines (skipped ${describeSkips(summary.skipped)})`);
    }
  } catch (error) {
    progress.stop();
    await writer.abort();
    throw fileIoError(options.out, error);
  }
  await writer.finish(importComments(summary)).catch((error: unknown) => {
    throw fileIoError(options.out, error);
  });
  if (options.quiet !== true) {
    process.stderr.write(
      `mmubench: ${summary.rows} rows${levels(summary)} from ${summary.lines} lines into ${options.out}; skipped ${describeSkips(summary.skipped)}\n`,
    );
  }
  return EXIT_OK;
}
