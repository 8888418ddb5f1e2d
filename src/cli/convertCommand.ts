/**
 * `mmubench convert IN OUT`: rewrite a trace in the format OUT's extension
 * names, `.mtr` (binary, docs/trace-format.md "Binary trace format") or
 * `.csv` (trace format v1). IN is read as `run` reads it, so it is fully
 * validated first; OUT appears only when complete (temp file + rename).
 *
 * Memory: a CSV IN is loaded whole (27 bytes per event, more while it is
 * parsed, as `run` does: its rows are sorted by time); a binary IN is
 * streamed chunk by chunk. OUT is written chunk by chunk.
 *
 * Round trip: `convert X.csv X.mtr` then `convert X.mtr Y.csv` gives the same
 * events in the same replay order (docs/trace-format.md, "Binary trace
 * format"); comments, the header row, the `time` column and number spelling
 * are normalised.
 */
import type { Command } from 'commander';
import { writeBinaryTrace } from '../trace/binary/binaryTraceWriter.js';
import { writeCsvTrace } from '../trace/csvTraceWriter.js';
import { loadTrace } from '../trace/loadTrace.js';
import type { Trace } from '../trace/traceEvents.js';
import { EXIT_OK, InputError, fileIoError } from '../errors.js';
import { checkOutputPath } from '../outputPath.js';

/** Output formats, by file name extension. */
const OUTPUT_FORMATS = { '.mtr': 'binary', '.csv': 'csv' } as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[keyof typeof OUTPUT_FORMATS];

/** The format OUT's extension names; `InputError` for any other name. */
export function outputFormat(output: string): OutputFormat {
  const lower = output.toLowerCase();
  for (const [extension, format] of Object.entries(OUTPUT_FORMATS)) {
    if (lower.endsWith(extension) && lower.length > extension.length) return format;
  }
  throw new InputError(`OUT: "${output}" must end in .mtr (binary trace) or .csv (CSV trace)`);
}

/** Convert `input` to `output`; returns the exit code, throws `InputError` on bad input. */
export async function convertCommand(input: string, output: string): Promise<number> {
  // 1. Options first, so a bad OUT name fails before a long read.
  const format = outputFormat(output);
  await checkOutputPath('OUT', output, { kind: 'file' });
  // 2. Read and validate IN as `run` does (binary by extension or magic bytes, CSV, or FORMAT:path).
  const trace: Trace = await loadTrace(input, { stream: true });
  // 3. Write OUT atomically.
  try {
    if (format === 'binary') await writeBinaryTrace(trace, output, { source: `mmubench convert ${input}` });
    else await writeCsvTrace(trace, output);
  } catch (error) {
    // The writers remove their temporary file; a system error names OUT, not the temporary name.
    throw fileIoError(output, error);
  }
  return EXIT_OK;
}

/** Add `mmubench convert IN OUT` to `program`; `setExit` receives the exit code. */
export function registerConvertCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('convert')
    .description('rewrite a trace as binary (.mtr) or CSV (.csv), whichever OUT ends in')
    .argument('<in>', 'trace to read, as run reads it: CSV, binary (.mtr extension or magic bytes), or FORMAT:path (docs/importing.md)')
    .argument('<out>', 'file to write: NAME.mtr or NAME.csv (replaced if it exists)')
    .action(async (input: string, output: string) => setExit(await convertCommand(input, output)));
}
