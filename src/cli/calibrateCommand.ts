/**
 * `mmubench calibrate --out costs.json [--runs N] [--force] [-q]`: measures
 * this host's KVM through native/kvm-runner (src/validate/calibrateHost.ts)
 * and writes a cost profile `run --costs` reads, with every measurement's
 * spread. Exit 0 written, 1 when the host cannot measure (no usable
 * /dev/kvm, no runner, a failing runner: it says why and writes nothing),
 * 2 for bad flags.
 */
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { release, cpus } from 'node:os';
import type { Command } from 'commander';
import { EXIT_FAILED, EXIT_OK, InputError } from '../errors.js';
import { describeHost, hostMode, readHostFacts } from '../validate/hostFacts.js';
import { ensureRunner } from '../validate/kvmRunner.js';
import { measurementSpreads, profileFrom, runCalibration, CALIBRATE_2M_PAGES, CALIBRATE_4K_PAGES } from '../validate/calibrateHost.js';
import { VERSION } from './version.js';

export interface CalibrateCommandOptions {
  out: string;
  runs?: string;
  force?: boolean;
  quiet?: boolean;
}

/** Default and limit of `--runs`. */
export const CALIBRATE_RUNS = { default: '5', max: 100 } as const;

function parseRuns(text: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > CALIBRATE_RUNS.max) {
    throw new InputError(`--runs: "${text}" is not an integer from 1 to ${CALIBRATE_RUNS.max}`);
  }
  return Number(text);
}

/** Run `calibrate`; returns the exit code. */
export async function calibrateCommand(options: CalibrateCommandOptions): Promise<number> {
  // 1. Flags, then the output path, before anything runs.
  const runs = parseRuns(options.runs ?? CALIBRATE_RUNS.default);
  const target = resolve(options.out);
  const existing = await stat(target).catch(() => undefined);
  if (existing && !options.force) throw new InputError(`--out: ${options.out} already exists (choose a new file, or --force to replace it)`);
  if (existing?.isDirectory()) throw new InputError(`--out: ${options.out} is a folder`);
  const parent = await stat(dirname(target)).catch(() => undefined);
  if (!parent?.isDirectory()) throw new InputError(`--out: folder ${dirname(options.out)} does not exist`);
  // 2. The host: a usable /dev/kvm and a built runner, or why not (exit 1, nothing written).
  const facts = readHostFacts();
  const cannot = (why: string): number => {
    process.stderr.write(`mmubench: calibrate: cannot measure on this host: ${why}; nothing written\n`);
    return EXIT_FAILED;
  };
  if (facts.kvmDevice === 'missing') return cannot('/dev/kvm does not exist (no KVM: load kvm_intel or kvm_amd, or run on a host with virtualization)');
  if (facts.kvmDevice === 'denied') return cannot('/dev/kvm is not readable and writable by this user (add it to the kvm group)');
  const notBuilt = ensureRunner();
  if (notBuilt !== undefined) return cannot(notBuilt);
  // 3. Measure.
  const say = (text: string): void => void (options.quiet ? undefined : process.stderr.write(text));
  say(`mmubench: calibrate: ${runs} runs of ${CALIBRATE_4K_PAGES} 4 KiB and ${CALIBRATE_2M_PAGES} 2 MiB demand faults...\n`);
  const result = runCalibration(runs, (done) => say(`  run ${done}/${runs} done\n`));
  if (result.kind === 'failed') return cannot(result.message.startsWith('kvm-runner') ? result.message : `kvm-runner: ${result.message}`);
  const measurements = measurementSpreads(result.runs);
  const profile = profileFrom(measurements);
  const host = `${describeHost(facts)[0]}; Linux ${release()}; ${cpus()[0]?.model ?? 'unknown CPU'}`;
  const file = {
    tool: 'mmubench',
    kind: 'cost-profile',
    version: VERSION,
    measuredAt: new Date().toISOString(),
    host,
    mmu: hostMode(facts),
    runs,
    notes: result.notes,
    measurements,
    costs: profile,
  };
  // 4. Atomically: a temporary sibling renamed into place.
  const temp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
  try {
    await writeFile(temp, JSON.stringify(file, null, 2) + '\n');
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw new InputError(`--out: ${options.out}: ${(error as Error).message}`);
  }
  if (!options.quiet) {
    const m = measurements;
    const line = (name: string, s: { min: number; median: number; max: number } | undefined, note?: string): string =>
      `  ${name.padEnd(28)} ${s === undefined ? `not measured: ${note ?? ''}` : `median ${s.median} ns (min ${s.min}, max ${s.max})`}\n`;
    process.stdout.write(`mmubench: calibrate: ${host}\n`);
    process.stdout.write(line('4K demand fault', m.fault4kNs));
    process.stdout.write(line('2M demand fault', m.fault2mNs, result.notes.fault2m));
    process.stdout.write(line('pre-fault, per 4K page', m.prefault4kNs, result.notes.prefault));
    process.stdout.write(line('dirty-log write-protect fault', m.writeProtectNs));
    process.stdout.write(line('memslot change', m.memslotChangeNs));
    process.stdout.write(line('KVM_RUN round trip', m.roundTripNs));
    process.stdout.write(line('TLB miss + walk (4K)', m.tlbMissWalkNs));
    process.stdout.write(`mmubench: cost profile in ${options.out} (use it with run --costs ${options.out})\n`);
  }
  return EXIT_OK;
}

/** Add `calibrate` to the program. */
export function registerCalibrateCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('calibrate')
    .description(
      "measure this host's KVM (ns per 4K/2M demand fault, pre-fault page, write-protect fault, memslot change) into a cost profile for run --costs (docs/validation.md)",
    )
    .requiredOption('--out <file>', 'cost profile to write (JSON)')
    .option('--runs <n>', `repetitions, each in a fresh VM (1-${CALIBRATE_RUNS.max})`, CALIBRATE_RUNS.default)
    .option('--force', 'replace --out if it exists')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (options: CalibrateCommandOptions) => setExit(await calibrateCommand(options)));
}
