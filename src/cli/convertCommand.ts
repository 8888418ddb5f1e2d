/**
 * `mmubench convert IN OUT`: rewrite a trace in the format OUT's extension
 * names, `.mtr` (binary, docs/trace-format.md "Binary trace format") or
 * `.csv` (trace format v1). IN is checked as `run` checks it: a CSV IN
 * in a first pass, a binary IN chunk by chunk as it is written out (one
 * pass over the file, as `run` replays it). OUT appears only when complete
 * (temp file + rename), so a bad row or chunk anywhere leaves none. A
 * progress bar (stderr, a TTY, after a second; `--quiet` drops it) follows
 * the CSV check and the writing.
 *
 * Memory: a CSV IN is loaded whole (27 bytes per event, more while it is
 * parsed, as `run` does: its rows are sorted by time); a binary IN is
 * streamed chunk by chunk. OUT is written chunk by chunk.
 *
 * Round trip: `convert X.csv X.mtr` then `convert X.mtr Y.csv` gives the same
 * events in the same replay order (docs/trace-format.md, "Binary trace
 * format"); comments, the header row, the `time` column and number spelling
 * are normalised. A binary IN whose header declares vCPUs that ran no event
 * loses them in a CSV OUT (a CSV has no field for them): a warning says so.
 */
import type { Command } from 'commander';
import { writeBinaryTrace } from '../trace/binary/binaryTraceWriter.js';
import { writeCsvTrace } from '../trace/csvTraceWriter.js';
import { loadTrace } from '../trace/loadTrace.js';
import type { Trace } from '../trace/traceEvents.js';
import { EXIT_OK, InputError, fileIoError } from '../errors.js';
import { checkOutputPath } from '../outputPath.js';
import { CountProgressBar, MILLION_EVENTS } from './progress.js';
import { basename } from 'node:path';

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

/** Convert `input` to `output`; returns the exit code, throws `InputError` on bad input. `quiet`: no progress bar. */
export async function convertCommand(input: string, output: string, quiet = false): Promise<number> {
  // 1. Options first, so a bad OUT name fails before a long read.
  const format = outputFormat(output);
  await checkOutputPath('OUT', output, { kind: 'file' });
  // 2. Open IN as `run` does (binary by extension or magic bytes, CSV, or FORMAT:path): a CSV is checked
  // now, a binary trace's header only (its chunks are checked as step 3 reads them).
  const checking = new CountProgressBar(`check ${basename(input)}`, quiet);
  let trace: Trace;
  try {
    trace = await loadTrace(input, { stream: true, checkNow: false, onCheckProgress: (done, total) => checking.update(done, total) });
  } finally {
    checking.stop();
  }
  // 3. Write OUT atomically: a bad chunk of IN stops the writer, which removes its temporary file.
  const writing = new CountProgressBar(`convert ${basename(input)}`, quiet, MILLION_EVENTS);
  const onProgress = (done: number, total: number): void => writing.update(done, total);
  let csvVcpus: number | undefined;
  try {
    if (format === 'binary') await writeBinaryTrace(trace, output, { source: `mmubench convert ${input}`, onProgress });
    else csvVcpus = (await writeCsvTrace(trace, output, onProgress)).vcpuCount;
  } catch (error) {
    // The writers remove their temporary file; a system error names OUT, not the temporary name.
    throw fileIoError(output, error);
  } finally {
    writing.stop();
  }
  // 4. After the progress bar is gone: what a CSV OUT could not keep.
  if (csvVcpus !== undefined && csvVcpus < trace.vcpuCount) {
    process.stderr.write(`mmubench: warning: ${idleVcpusNote(input, output, trace.vcpuCount, csvVcpus)}\n`);
  }
  return EXIT_OK;
}

/**
 * IN (a binary trace) declares `declared` vCPUs, but its events name only
 * `named`: a CSV's vCPU count is its highest vcpu + 1, so OUT replays with
 * fewer vCPUs, and what is counted per vCPU (results.csv's vCPU rows,
 * each vCPU's `tlb_flushes`) differs from IN's replay.
 */
export function idleVcpusNote(input: string, output: string, declared: number, named: number): string {
  const idle = named + 1 === declared ? `vCPU ${named}` : `vCPUs ${named}-${declared - 1}`;
  return (
    `${output}: ${input} declares ${declared} vCPUs, but ${named === 0 ? 'has no event' : `no event names a vCPU above ${named - 1}`}; a CSV cannot declare ${idle}, ` +
    `which ran no event, so ${output} replays with ${named} vCPU${named === 1 ? '' : 's'} (per-vCPU rows and flush counts differ; keep the .mtr to replay all ${declared})`
  );
}

/** Add `mmubench convert IN OUT` to `program`; `setExit` receives the exit code. */
export function registerConvertCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('convert')
    .description('rewrite a trace as binary (.mtr) or CSV (.csv), whichever OUT ends in')
    .argument('<in>', 'trace to read, as run reads it: CSV, binary (.mtr extension or magic bytes), or FORMAT:path (docs/importing.md)')
    .argument('<out>', 'file to write: NAME.mtr or NAME.csv (replaced if it exists)')
    .option('-q, --quiet', 'no progress bar')
    .action(async (input: string, output: string, options: { quiet?: boolean }) => setExit(await convertCommand(input, output, options.quiet === true)));
}
