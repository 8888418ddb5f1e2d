/** `mmubench gen`: write a synthetic, seeded trace. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { GENERATOR_DEFAULTS, GENERATOR_KINDS, generateTrace, type GeneratorKind } from '../trace/generators.js';
import { parseAddress } from '../trace/fieldParsers.js';
import { InputError, EXIT_OK, fileIoError } from '../errors.js';
import { checkOutputPath } from '../outputPath.js';

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
}

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

export async function genCommand(options: GenCommandOptions): Promise<number> {
  if (!(GENERATOR_KINDS as readonly string[]).includes(options.kind)) {
    throw new InputError(`--kind: "${options.kind}" is not one of ${GENERATOR_KINDS.join(', ')}`);
  }
  const d = GENERATOR_DEFAULTS;
  await checkOutputPath('--out', options.out, { kind: 'file' });
  const lines = generateTrace({
    kind: options.kind as GeneratorKind,
    seed: integer('--seed', options.seed, d.seed, 0, 2 ** 32 - 1),
    accesses: integer('--accesses', options.accesses, d.accesses, 1, 1e9),
    memoryBytes: bytes('--memory', options.memory, d.memoryBytes),
    vcpus: integer('--vcpus', options.vcpus, d.vcpus, 1, 4096),
    hotBytes: bytes('--hot', options.hot, d.hotBytes),
    hotFraction: fraction('--hot-fraction', options.hotFraction, d.hotFraction),
    writeFraction: fraction('--write-fraction', options.writeFraction, d.writeFraction),
  });
  const temp = `${options.out}.tmp-${process.pid}`;
  const out = createWriteStream(temp);
  try {
    for (const line of lines) {
      if (!out.write(line + '\n')) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    await rename(temp, options.out);
  } catch (error) {
    out.destroy();
    await rm(temp, { force: true }).catch(() => undefined);
    // The path was usable (checked above): a failure now is the system's (full disk...), exit 1.
    throw fileIoError(options.out, error);
  }
  return EXIT_OK;
}
