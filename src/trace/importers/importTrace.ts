/**
 * The importers behind one entry point, and the in-memory import that `run`
 * uses for `FORMAT:path`: rows go straight into a `TraceEventsBuilder`, so an
 * imported trace is the same `Trace` the CSV reader makes from the imported
 * CSV file.
 */
import { eventEndGpa } from '../touchedEnd.js';
import type { Op } from '../ops.js';
import { TraceEventsBuilder, type Trace } from '../traceEvents.js';
import { traceName } from '../csvTraceReader.js';
import type { ImportInput, ImportProgress, ImportSink, ImportSummary } from './importTypes.js';
import type { ImportFormat, ImportOptions } from './importOptions.js';
import { importFtrace } from './ftraceImporter.js';
import { importLackey } from './lackeyImporter.js';
import { importQemuMem } from './qemuMemImporter.js';

/** Run the importer of `format` over `inputs` into `sink`. */
export function importTrace(
  format: ImportFormat,
  inputs: readonly ImportInput[],
  options: ImportOptions,
  sink: ImportSink,
  onProgress?: ImportProgress,
): Promise<ImportSummary> {
  switch (format) {
    case 'ftrace':
      return importFtrace(inputs, options, sink, onProgress);
    case 'lackey':
      return importLackey(inputs, options, sink, onProgress);
    case 'qemu-mem':
      return importQemuMem(inputs, options, sink, onProgress);
  }
}

/** An imported trace, with what the import skipped. */
export interface ImportedTrace extends Trace {
  summary: ImportSummary;
}

/** A sink that fills a `TraceEventsBuilder` and tracks what `Trace` needs up front. */
class BuilderSink implements ImportSink {
  readonly builder = new TraceEventsBuilder();
  maxVcpu = -1;
  touchedEndGpa = 0;

  access(op: Op, vcpu: number, gpa: number, sizeBytes: number, _input: number, line: number, timeNs: number): void {
    this.builder.push(op, vcpu, gpa, sizeBytes, -1, line, Math.max(0, timeNs));
    if (vcpu > this.maxVcpu) this.maxVcpu = vcpu;
    const end = eventEndGpa(gpa, sizeBytes);
    if (end > this.touchedEndGpa) this.touchedEndGpa = end;
  }
}

/**
 * Import `input` into memory as a `Trace` named after its file (as the CSV
 * reader names traces). With a time column (ftrace), events replay in
 * (time, file order) order, as a CSV trace with a `time` column does.
 */
export async function importToTrace(format: ImportFormat, input: ImportInput, options: ImportOptions): Promise<ImportedTrace> {
  const sink = new BuilderSink();
  const summary = await importTrace(format, [input], options, sink);
  return {
    path: input.path ?? input.name,
    name: traceName(input.name),
    events: sink.builder.finish(summary.hasTime),
    vcpuCount: sink.maxVcpu + 1,
    touchedEndGpa: sink.touchedEndGpa,
    declaresSlots: false,
    summary,
  };
}
