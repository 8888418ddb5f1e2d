/** `mmubench gen`: write a synthetic, seeded trace. */
import { createWriteStream } from 'node:fs';
import { Option, type Command } from 'commander';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { GENERATOR_DEFAULTS, GEN_KINDS, generateTrace, generatedLines, type GeneratorKind } from '../trace/generators.js';
import {
  CLEAR_ALIGN_BYTES,
  DIRTY_LOG_DEFAULT_ITERATIONS,
  MEMSTRESS_DEFAULTS,
  generateMemstress,
  memstressLines,
  type MemstressOptions,
} from '../trace/memstressGenerator.js';
import { parseAddress } from '../trace/fieldParsers.js';
import { destroyStream } from '../trace/destroyStream.js';
import { InputError, EXIT_OK, fileIoError } from '../errors.js';
import { checkOutputPath } from '../outputPath.js';
import { CountProgressBar, MILLION_ROWS } from './progress.js';

export interface GenCommandOptions {
  kind: string;
  out: string;
  seed?: string;
  accesses?: string;
  memory?: string;
  vcpus?: string;
  hot?: string;
  hotFraction?: string;
  writeFraction?: string;
  vcpuMemory?: string;
  iterations?: string;
  writePercent?: string;
  random?: boolean;
  overlap?: boolean;
  baseGpa?: string;
  /** `--dirty-log` alone is `true` (get); `--dirty-log clear` a string. */
  dirtyLog?: string | boolean;
  slot?: string;
  /** No progress bar. */
  quiet?: boolean;
}

/** Flags of `--kind memstress` only (commander names). */
const MEMSTRESS_ONLY: readonly (keyof GenCommandOptions)[] = ['vcpuMemory', 'iterations', 'writePercent', 'random', 'overlap', 'baseGpa', 'dirtyLog', 'slot'];
/** Commander name -> flag, for messages. */
const FLAG_OF: Partial<Record<keyof GenCommandOptions, string>> = {
  vcpuMemory: '--vcpu-memory',
  iterations: '--iterations',
  writePercent: '--write-percent',
  random: '--random',
  overlap: '--overlap',
  baseGpa: '--base-gpa',
  dirtyLog: '--dirty-log',
  slot: '--slot',
};

function integer(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < min || n > max) throw new InputError(`${flag}: "${value}" is not an integer from ${min} to ${max}`);
  return n;
}

function bytes(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = parseAddress(value, 'size');
  if (typeof n === 'string' || n < 4096) throw new InputError(`${flag}: "${value}" is not a size in bytes of at least 4096`);
  return n;
}

function fraction(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InputError(`${flag}: "${value}" is not a number from 0 to 1`);
  return n;
}

/** `--base-gpa`: a 4 KiB aligned GPA below 2^52. */
function gpa(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = parseAddress(value, 'GPA');
  if (typeof n === 'string') throw new InputError(`${flag}: ${n}`);
  if (n % 4096 !== 0) throw new InputError(`${flag}: "${value}" is not a multiple of 4096 (a page boundary)`);
  return n;
}

/** The memstress options, validated once. */
export function memstressOptions(options: GenCommandOptions): MemstressOptions {
  const d = MEMSTRESS_DEFAULTS;
  const vcpuMemoryBytes = bytes('--vcpu-memory', options.vcpuMemory, d.vcpuMemoryBytes);
  if (vcpuMemoryBytes % 4096 !== 0) throw new InputError(`--vcpu-memory: "${options.vcpuMemory}" is not a multiple of 4096 (whole guest pages)`);
  const dirtyLog = options.dirtyLog === undefined ? 'none' : options.dirtyLog === true ? 'get' : options.dirtyLog;
  if (dirtyLog !== 'none' && dirtyLog !== 'get' && dirtyLog !== 'clear') throw new InputError(`--dirty-log: "${dirtyLog}" is not one of get, clear`);
  if (options.slot !== undefined && dirtyLog === 'none') throw new InputError('--slot: only with --dirty-log');
  const result: MemstressOptions = {
    ...d,
    dirtyLog,
    slot: integer('--slot', options.slot, d.slot, 0, 32767),
    vcpus: integer('--vcpus', options.vcpus, GENERATOR_DEFAULTS.vcpus, 1, 4096),
    vcpuMemoryBytes,
    iterations: integer('--iterations', options.iterations, dirtyLog === 'none' ? d.iterations : DIRTY_LOG_DEFAULT_ITERATIONS, 1, 1e6),
    writePercent: integer('--write-percent', options.writePercent, d.writePercent, 0, 100),
    random: options.random === true,
    overlap: options.overlap === true,
    seed: integer('--seed', options.seed, d.seed, 0, 2 ** 32 - 1),
    baseGpa: gpa('--base-gpa', options.baseGpa, d.baseGpa),
  };
  if (result.baseGpa + result.vcpuMemoryBytes * result.vcpus > 2 ** 52) {
    throw new InputError('--base-gpa: the test region (--vcpus x --vcpu-memory bytes from --base-gpa) goes beyond the 52-bit GPA limit');
  }
  if (dirtyLog === 'clear' && (result.baseGpa % CLEAR_ALIGN_BYTES !== 0 || (result.vcpuMemoryBytes * result.vcpus) % CLEAR_ALIGN_BYTES !== 0)) {
    throw new InputError(
      '--dirty-log clear: --base-gpa and the test memory (--vcpus x --vcpu-memory) must be multiples of 262144 (256 KiB: KVM_CLEAR_DIRTY_LOG clears whole 64-page words)',
    );
  }
  return result;
}

/** The file's text, in blocks that each end a line, and how many lines it has. */
function traceText(options: GenCommandOptions): { blocks: Iterable<string>; lines: number } {
  if (options.kind === 'memstress') {
    const memstress = memstressOptions(options);
    return { blocks: generateMemstress(memstress), lines: memstressLines(memstress) };
  }
  for (const key of MEMSTRESS_ONLY) {
    if (options[key] !== undefined) throw new InputError(`${FLAG_OF[key]}: only for --kind memstress`);
  }
  const d = GENERATOR_DEFAULTS;
  const generator = {
    kind: options.kind as GeneratorKind,
    seed: integer('--seed', options.seed, d.seed, 0, 2 ** 32 - 1),
    accesses: integer('--accesses', options.accesses, d.accesses, 1, 1e9),
    memoryBytes: bytes('--memory', options.memory, d.memoryBytes),
    vcpus: integer('--vcpus', options.vcpus, d.vcpus, 1, 4096),
    hotBytes: bytes('--hot', options.hot, d.hotBytes),
    hotFraction: fraction('--hot-fraction', options.hotFraction, d.hotFraction),
    writeFraction: fraction('--write-fraction', options.writeFraction, d.writeFraction),
  };
  return { blocks: inBlocks(generateTrace(generator)), lines: generatedLines(generator) };
}

/** Lines `block` ends (its newlines). */
function linesIn(block: string): number {
  let count = 0;
  for (let at = block.indexOf('\n'); at >= 0; at = block.indexOf('\n', at + 1)) count++;
  return count;
}

/** Lines per block written: one `write` per row cost about 0.5 µs a row, most of `gen`'s time. */
const BLOCK_LINES = 4096;

/** `lines`, each ended by a newline, joined into blocks of `BLOCK_LINES` (the same text). */
function* inBlocks(lines: Iterable<string>): Generator<string> {
  let block: string[] = [];
  for (const line of lines) {
    block.push(line);
    if (block.length === BLOCK_LINES) {
      yield block.join('\n') + '\n';
      block = [];
    }
  }
  if (block.length > 0) yield block.join('\n') + '\n';
}

export async function genCommand(options: GenCommandOptions): Promise<number> {
  if (!(GEN_KINDS as readonly string[]).includes(options.kind)) {
    throw new InputError(`--kind: "${options.kind}" is not one of ${GEN_KINDS.join(', ')}`);
  }
  // Options first (traceText validates them), then the output path, before writing anything.
  const { blocks, lines } = traceText(options);
  await checkOutputPath('--out', options.out, { kind: 'file' });
  const temp = `${options.out}.tmp-${process.pid}`;
  const out = createWriteStream(temp);
  const progress = new CountProgressBar(`gen ${basename(options.out)}`, options.quiet === true, MILLION_ROWS);
  let written = 0;
  try {
    for (const block of blocks) {
      if (!out.write(block)) await once(out, 'drain');
      written += linesIn(block);
      progress.update(written, lines);
    }
    out.end();
    await once(out, 'finish');
    await rename(temp, options.out);
  } catch (error) {
    await destroyStream(out);
    await rm(temp, { force: true }).catch(() => undefined);
    // The path was usable (checked above): a failure now is the system's (full disk...), exit 1.
    throw fileIoError(options.out, error);
  } finally {
    progress.stop();
  }
  return EXIT_OK;
}

/** Register `gen` on `program`. */
export function registerGenCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('gen')
    .description('write a synthetic, seeded trace')
    .addOption(new Option('--kind <kind>', "access pattern (memstress: the KVM selftests' memstress guest)").choices([...GEN_KINDS]).makeOptionMandatory())
    .requiredOption('--out <file>', 'trace file to write')
    .option('--seed <n>', 'PRNG seed', String(GENERATOR_DEFAULTS.seed))
    .option('--accesses <n>', 'access rows to write', String(GENERATOR_DEFAULTS.accesses))
    .option('--memory <bytes>', 'guest memory from GPA 0 (hex or decimal bytes)', String(GENERATOR_DEFAULTS.memoryBytes))
    .option('--vcpus <n>', 'vCPUs', String(GENERATOR_DEFAULTS.vcpus))
    .option('--hot <bytes>', 'hot-set size for hotcold (working set for nested)', String(GENERATOR_DEFAULTS.hotBytes))
    .option('--hot-fraction <f>', 'share of hotcold and nested accesses to the hot set', String(GENERATOR_DEFAULTS.hotFraction))
    .option('--write-fraction <f>', 'share of writes', String(GENERATOR_DEFAULTS.writeFraction))
    .option('--vcpu-memory <bytes>', `memstress: test memory per vCPU, bytes, a multiple of 4096 [default: ${MEMSTRESS_DEFAULTS.vcpuMemoryBytes}]`)
    .option('--iterations <n>', `memstress: passes over the test memory [default: ${MEMSTRESS_DEFAULTS.iterations}]`)
    .option('--write-percent <n>', `memstress: chance in % (0-100) that an access is a write [default: ${MEMSTRESS_DEFAULTS.writePercent}]`)
    .option('--random', "memstress: pages in random order (the selftest's -a), seeded per vCPU with --seed + vCPU index")
    .option('--overlap', 'memstress: every vCPU accesses the whole test memory (-o) instead of its own region')
    .option('--base-gpa <gpa>', `memstress: GPA of the test memory, 4 KiB aligned [default: ${MEMSTRESS_DEFAULTS.baseGpa}]`)
    .option(
      '--dirty-log [mode]',
      'memstress: the dirty_log_perf_test sequence (populate, DIRTY_LOG_ON, --iterations passes each harvested, DIRTY_LOG_OFF); mode get (KVM_GET_DIRTY_LOG, the default) or clear (KVM_CLEAR_DIRTY_LOG); --iterations then defaults to 2',
    )
    .option('--slot <id>', `memslot the dirty-log rows name (x_slot) [default: ${MEMSTRESS_DEFAULTS.slot}, the default slot]`)
    .option('-q, --quiet', 'no progress bar')
    .action(async (options) => setExit(await genCommand(options)));
}
