/**
 * `mmubench record --out FILE.mtr`: boot a real Linux guest under QEMU TCG
 * with mmubench's plugin (native/qemu-plugin/mmutrace.c) and stream every
 * guest memory access, with its guest-physical address, into a binary trace;
 * write QEMU's memory map beside it as FILE.vm.json (a `--vm` layout).
 *
 * 1. Options, once. Without --kernel/--initrd the default guest of
 *    scripts/recordGuest.mjs is used; whatever is missing (QEMU, the guest,
 *    the plugin) is installed by `node scripts/setup.mjs --record` first.
 * 2. QEMU runs deterministically: one TCG thread, `-icount shift=0` (guest
 *    time is the instruction count, so timer interrupts land on the same
 *    instruction every run), a fixed RTC, no host devices. Guest RAM is a
 *    memory-backend-file in /dev/shm so the plugin can turn host addresses
 *    of code into GPAs.
 * 3. The plugin writes 16-byte records to fd 3, a pipe; they are decoded
 *    (src/trace/qemuRecordDecoder.ts) into an `.mtr` sink as they come. At
 *    --max-accesses, QEMU is stopped.
 * 4. The trace and the layout appear only when complete (temporary files,
 *    renamed); on Ctrl-C or a failure nothing is left behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, InputError } from '../errors.js';
import { RECORD_DEFAULTS } from '../defaults.js';
import { VERSION } from './version.js';
import { parseAddress } from '../trace/fieldParsers.js';
import { MtrTraceSink } from '../trace/importers/mtrTraceSink.js';
import { QemuRecordDecoder } from '../trace/qemuRecordDecoder.js';
import { below4gBytes, pcLayout } from './recordLayout.js';

/** The repository root (this file is src/cli/ or dist/src/cli/). */
function repoRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/src/') ? fileURLToPath(new URL('../../../', import.meta.url)) : fileURLToPath(new URL('../../', import.meta.url));
}

const ROOT = repoRoot();
const GUEST_DIR = join(ROOT, 'native', 'build', 'guest');
const PLUGIN = join(ROOT, 'native', 'build', 'libmmutrace.so');
const MiB = 1 << 20;

export interface RecordCommandOptions {
  out: string;
  kernel?: string;
  initrd?: string;
  memory?: string;
  vcpus?: string;
  append?: string;
  maxAccesses?: string;
  skipAccesses?: string;
  qemu?: string;
  quiet?: boolean;
}

/** Add `record` to `program`. */
export function registerRecordCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('record')
    .description(
      'boot a Linux guest under QEMU TCG and record every guest memory access (GPA, vCPU, R/W/X, size) into a .mtr trace, with its memory map as FILE.vm.json; exit 0 done, 1 QEMU failed or cannot be installed, 2 bad usage, 130 Ctrl-C',
    )
    .requiredOption('--out <file>', 'trace to write (.mtr); the layout goes to the same name with .vm.json')
    .option('--kernel <file>', "guest kernel (bzImage) [default: Debian's cloud kernel, set up by npm run setup -- --record]")
    .option('--initrd <file>', 'guest initramfs [default: busybox and native/guest/init]')
    .option('--memory <bytes>', `guest RAM, bytes (hex or decimal), a multiple of 2 MiB, 64 MiB to 16 GiB [default: ${RECORD_DEFAULTS.memoryBytes}]`)
    .option('--vcpus <n>', `guest vCPUs, 1 to 16 [default: ${RECORD_DEFAULTS.vcpus}]`)
    .option('--append <args>', `kernel command line [default: "${RECORD_DEFAULTS.append}"]`)
    .option('--max-accesses <n>', `stop QEMU after this many records [default: ${RECORD_DEFAULTS.maxAccesses}]`)
    .option('--skip-accesses <n>', 'leave out the first N accesses of the boot (the trace starts after them) [default: 0]')
    .option('--qemu <path>', `QEMU system emulator [default: ${RECORD_DEFAULTS.qemu}]`)
    .option('-q, --quiet', 'no progress bar or summary line')
    .action(async (options: RecordCommandOptions) => setExit(await recordCommand(options)));
}

interface RecordPlan {
  out: string;
  layoutPath: string;
  kernel: string;
  initrd: string;
  memoryBytes: number;
  vcpus: number;
  append: string;
  maxAccesses: number;
  skipAccesses: number;
  qemu: string;
}

function integer(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < min || n > max) throw new InputError(`${flag}: "${value}" is not an integer from ${min} to ${max}`);
  return n;
}

/** Step 1: validate the options (files are checked once the guest is set up). */
async function plan(options: RecordCommandOptions): Promise<RecordPlan> {
  if (!/.\.mtr$/i.test(options.out)) throw new InputError(`--out: "${options.out}" must end in .mtr`);
  const folder = await stat(dirname(options.out)).catch(() => undefined);
  if (folder === undefined || !folder.isDirectory()) throw new InputError(`--out: folder ${dirname(options.out)} does not exist`);
  let memoryBytes = RECORD_DEFAULTS.memoryBytes;
  if (options.memory !== undefined) {
    const n = parseAddress(options.memory, 'size');
    if (typeof n === 'string' || n % (2 * MiB) !== 0 || n < 64 * MiB || n > 16 * 1024 * MiB) {
      throw new InputError(`--memory: "${options.memory}" is not a multiple of 2 MiB from 64 MiB to 16 GiB, in bytes`);
    }
    memoryBytes = n;
  }
  if ((options.kernel === undefined) !== (options.initrd === undefined))
    throw new InputError('--kernel and --initrd go together (or give neither, for the default guest)');
  return {
    out: options.out,
    layoutPath: options.out.replace(/\.mtr$/i, '.vm.json'),
    kernel: options.kernel ?? join(GUEST_DIR, 'vmlinuz'),
    initrd: options.initrd ?? join(GUEST_DIR, 'initrd.cpio'),
    memoryBytes,
    vcpus: integer('--vcpus', options.vcpus, RECORD_DEFAULTS.vcpus, 1, 16),
    append: options.append ?? RECORD_DEFAULTS.append,
    maxAccesses: integer('--max-accesses', options.maxAccesses, RECORD_DEFAULTS.maxAccesses, 1, 4e9),
    skipAccesses: integer('--skip-accesses', options.skipAccesses, 0, 0, 1e12),
    qemu: options.qemu ?? RECORD_DEFAULTS.qemu,
  };
}

/** True when `command` runs (`--version`). */
function runs(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Install what is missing (scripts/setup.mjs --record); false when that failed (it said why). */
function ensureTools(p: RecordPlan, defaultGuest: boolean): boolean {
  const missing =
    !existsSync(PLUGIN) || (p.qemu === RECORD_DEFAULTS.qemu && !runs(p.qemu)) || (defaultGuest && (!existsSync(p.kernel) || !existsSync(p.initrd)));
  if (!missing) return true;
  process.stderr.write('mmubench: record: setting up QEMU, the guest and the plugin (node scripts/setup.mjs --record)\n');
  const setup = spawnSync(process.execPath, [join(ROOT, 'scripts', 'setup.mjs'), '--record'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  return setup.status === 0;
}

/** The QEMU command line: deterministic TCG, file-backed RAM, the plugin writing to fd 3. */
export function qemuArgs(p: RecordPlan, ramPath: string, consolePath: string): string[] {
  return [
    '-machine',
    'pc,memory-backend=ram',
    '-object',
    `memory-backend-file,id=ram,size=${p.memoryBytes},mem-path=${ramPath},share=off`,
    '-m',
    `${p.memoryBytes / MiB}M`,
    '-accel',
    'tcg,thread=single',
    '-cpu',
    'qemu64',
    '-smp',
    String(p.vcpus),
    '-icount',
    'shift=0,sleep=off,align=off',
    '-rtc',
    'base=2026-01-01T00:00:00,clock=vm',
    '-kernel',
    p.kernel,
    '-initrd',
    p.initrd,
    '-append',
    p.append,
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    `file:${consolePath}`,
    '-net',
    'none',
    '-no-reboot',
    '-plugin',
    `${PLUGIN},fd=3,ram=${ramPath},below4g=${below4gBytes(p.memoryBytes)}`,
  ];
}

/** Records and MiB so far, as a bar on stderr: only on a terminal, only after a second. */
class RecordProgress {
  private bar: cliProgress.SingleBar | undefined;
  private readonly started = Date.now();
  private readonly enabled: boolean;

  constructor(
    quiet: boolean,
    private readonly total: number,
  ) {
    this.enabled = !quiet && process.stderr.isTTY === true;
  }

  update(rows: number): void {
    if (!this.enabled) return;
    if (this.bar === undefined) {
      if (Date.now() - this.started < 1000) return;
      this.bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: 'record {bar} {value}/{total} accesses (--max-accesses) | {rate} k/s', hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(this.total, 0, { rate: 0 });
    }
    const seconds = (Date.now() - this.started) / 1000;
    this.bar.update(rows, { rate: Math.round(rows / seconds / 1000) });
  }

  stop(): void {
    this.bar?.stop();
  }
}

/** Wait for `child` to exit; its exit code, or the signal's name. */
function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
}

/** A running QEMU: what it printed on stderr (the last 16 KiB), whether we stopped it, and why. */
interface QemuRun {
  child: ChildProcess;
  stderr: string;
  /** Killed by us at --max-accesses. */
  stopped: boolean;
  /** Killed by us on Ctrl-C. */
  interrupted: boolean;
  /** Resolves with the spawn error if QEMU could not start. */
  spawnError: Promise<Error>;
}

function startQemu(p: RecordPlan, ramPath: string, consolePath: string): QemuRun {
  const child = spawn(p.qemu, qemuArgs(p, ramPath, consolePath), { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const run: QemuRun = { child, stderr: '', stopped: false, interrupted: false, spawnError: new Promise((resolve) => child.once('error', resolve)) };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    run.stderr = (run.stderr + text).slice(-16384);
  });
  return run;
}

/** Step 3: decode fd 3 into the sink until QEMU ends; stop it at --max-accesses. Resolves with QEMU's exit. */
async function streamRecords(run: QemuRun, decoder: QemuRecordDecoder, sink: MtrTraceSink, progress: RecordProgress): Promise<number | string | Error> {
  const reading = (async () => {
    for await (const chunk of run.child.stdio[3] as Readable) {
      if (decoder.push(chunk as Buffer)) {
        if (!run.stopped) {
          run.stopped = true;
          run.child.kill('SIGKILL');
        }
        continue; // drain the pipe until QEMU is gone
      }
      await sink.drain();
      progress.update(decoder.rows);
    }
    progress.update(decoder.rows); // the last figure, also when the stream ended at --max-accesses
  })();
  return Promise.race([reading.then(() => exited(run.child)), run.spawnError]);
}

/** Step 4: the trace's header comments and data, then its layout, each renamed into place. */
async function finishRecording(p: RecordPlan, defaultGuest: boolean, run: QemuRun, decoder: QemuRecordDecoder, sink: MtrTraceSink): Promise<string> {
  const kernelNote = defaultGuest && existsSync(join(GUEST_DIR, 'kernel.txt')) ? ' (Debian package, native/build/guest/kernel.txt)' : '';
  const end = run.stopped ? `stopped at --max-accesses ${p.maxAccesses}` : 'the guest powered off';
  const skipped = p.skipAccesses > 0 ? ` after the first ${p.skipAccesses} accesses, left out` : '';
  await sink.finish([
    `mmubench ${VERSION} record`,
    `kernel: ${p.kernel}${kernelNote}; initrd: ${p.initrd}; append: ${p.append}`,
    `QEMU: ${p.qemu}, pc machine, TCG one thread, -icount shift=0, ${p.memoryBytes} bytes of RAM, ${p.vcpus} vCPUs`,
    'rows: data accesses at their GPA (R/W, access size); X: one per executed translation block, at its first instruction, its bytes',
    `rows: ${decoder.rows}${skipped} (${end})${decoder.dropped > 0 ? `; ${decoder.dropped} malformed records dropped` : ''}`,
    "layout: the pc machine's memory map, in the .vm.json of the same name",
  ]);
  const layoutTemp = `${p.layoutPath}.tmp-${process.pid}`;
  await writeFile(layoutTemp, JSON.stringify(pcLayout(p.memoryBytes), null, 2) + '\n');
  await rename(layoutTemp, p.layoutPath);
  return end;
}

/** Record; returns the exit code. */
export async function recordCommand(options: RecordCommandOptions): Promise<number> {
  // 1. Options, then whatever is missing installed.
  const p = await plan(options);
  const defaultGuest = options.kernel === undefined;
  if (!ensureTools(p, defaultGuest)) {
    process.stderr.write('mmubench: record: QEMU, the guest or the plugin is missing and could not be set up (see above)\n');
    return EXIT_FAILED;
  }
  for (const [flag, path] of [
    ['--kernel', p.kernel],
    ['--initrd', p.initrd],
  ] as const) {
    if (!existsSync(path)) throw new InputError(`${flag}: ${path} does not exist`);
  }
  // 2. QEMU, with its RAM file and console log in temporary places.
  const ramPath = join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), `mmubench-ram-${process.pid}`);
  const consolePath = join(tmpdir(), `mmubench-console-${process.pid}.log`);
  const sink = new MtrTraceSink(p.out);
  const decoder = new QemuRecordDecoder(sink, p.maxAccesses, p.skipAccesses);
  const progress = new RecordProgress(options.quiet === true, p.maxAccesses);
  const run = startQemu(p, ramPath, consolePath);
  const onSigint = (): void => {
    run.interrupted = true;
    process.stderr.write('\nmmubench: interrupted, stopping QEMU\n');
    run.child.kill('SIGKILL');
  };
  process.once('SIGINT', onSigint);
  try {
    const outcome = await streamRecords(run, decoder, sink, progress);
    progress.stop();
    if (outcome instanceof Error) throw new InputError(`--qemu: cannot run ${p.qemu}: ${outcome.message}`);
    if (run.interrupted) {
      await sink.abort();
      return EXIT_INTERRUPTED;
    }
    let failure: string | undefined;
    if (!run.stopped && outcome !== 0) failure = `QEMU exited with ${outcome}`;
    else if (decoder.rows === 0) failure = 'QEMU recorded no access';
    if (failure !== undefined) {
      await sink.abort();
      process.stderr.write(`mmubench: record: ${failure}:\n${run.stderr.trim()}\n`);
      return EXIT_FAILED;
    }
    const end = await finishRecording(p, defaultGuest, run, decoder, sink);
    if (options.quiet !== true) process.stderr.write(`mmubench: ${decoder.rows} accesses into ${p.out} (${end}); layout ${p.layoutPath}\n`);
    return EXIT_OK;
  } catch (error) {
    progress.stop();
    run.child.kill('SIGKILL');
    await sink.abort();
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    await rm(ramPath, { force: true });
    await rm(consolePath, { force: true });
  }
}
