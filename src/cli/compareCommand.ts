/**
 * `mmubench compare BASE CUR [--out DIR]`: compare two report folders'
 * run.json, write compare.md and compare.html, print the regressions, and
 * exit 0 (nothing `--fail-on` selects regressed), 1 (regression) or 2 (bad
 * input). docs/comparing.md says how counts and timings are judged.
 */
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULTS } from '../defaults.js';
import { parseCompareOptions, type RawCompareOptions } from '../report/compare/compareOptions.js';
import { compareRuns, type Comparison } from '../report/compare/compareRuns.js';
import { readReportRun } from '../report/compare/readReportRun.js';
import { writeCompare } from '../report/compare/writeCompare.js';
import { headline, regressionLines } from '../report/compare/compareTables.js';
import { checkOutputPath } from '../outputPath.js';

export interface CompareCommandOptions extends RawCompareOptions {
  /** Folder for compare.md and compare.html; default: the current report folder. */
  out?: string;
  quiet?: boolean;
}

/** The flags `compare` and `nightly` share. */
export function addCompareFlags(command: Command): Command {
  return command
    .option('--count-threshold <pct>', 'a count change beyond this many % is a regression or improvement (0: any change)', DEFAULTS.countThreshold)
    .option('--alpha <p>', 'significance level of the Mann-Whitney U test on benchmark timings', DEFAULTS.alpha)
    .option('--min-change <pct>', 'smallest median timing change, in %, that may be a regression or improvement', DEFAULTS.minChange)
    .option('--fail-on <kinds>', 'which regressions fail the run (exit 1): counts, timings, counts,timings or none', DEFAULTS.failOn);
}

/** Print the outcome: the headline, then one line per regression. */
export function printComparison(c: Comparison, files: readonly string[], write: (text: string) => void): void {
  write(`mmubench: compare ${c.base} -> ${c.current}: ${headline(c)}\n`);
  for (const line of regressionLines(c)) write(`  ${line}\n`);
  if (files.length > 0) write(`mmubench: comparison in ${files.join(', ')}\n`);
}

/** Run `compare`; returns the exit code (bad input throws `InputError`). */
export async function compareCommand(baseDir: string, currentDir: string, options: CompareCommandOptions): Promise<number> {
  const compareOptions = parseCompareOptions(options);
  if (options.out !== undefined) await checkOutputPath('--out', options.out, { kind: 'folder' });
  const base = await readReportRun(baseDir);
  const current = await readReportRun(currentDir);
  const labels = { base: basename(resolve(baseDir)), current: basename(resolve(currentDir)) };
  const comparison = compareRuns(base, current, compareOptions, labels);
  const files = await writeCompare(options.out ?? currentDir, comparison);
  if (!options.quiet) printComparison(comparison, files, (text) => process.stdout.write(text));
  return comparison.exitCode;
}

/** Register `compare` on the program. */
export function registerCompareCommand(program: Command, setExit: (code: number) => void): void {
  addCompareFlags(
    program
      .command('compare')
      .description('compare two report folders (run.json): every count and benchmark timing side by side; writes compare.md and compare.html')
      .argument('<base>', 'baseline report folder')
      .argument('<current>', 'report folder to judge')
      .option('--out <dir>', 'folder for compare.md and compare.html (default: the current report folder)'),
  )
    .option('-q, --quiet', 'print nothing; the exit code and the files say it all')
    .action(async (baseDir: string, currentDir: string, options: CompareCommandOptions) => setExit(await compareCommand(baseDir, currentDir, options)));
}
