/**
 * Synthetic trace generators for `mmubench gen`. Each yields CSV rows of
 * trace format v1 from a seeded PRNG, so a (kind, options) pair always gives
 * the same file.
 */
import { Prng } from './prng.js';

export const GENERATOR_KINDS = ['boot', 'random', 'hotcold', 'interleaved'] as const;
export type GeneratorKind = (typeof GENERATOR_KINDS)[number];
/** Every `gen --kind`: these and `memstress` (memstressGenerator.ts). */
export const GEN_KINDS = [...GENERATOR_KINDS, 'memstress'] as const;

export interface GeneratorOptions {
  kind: GeneratorKind;
  seed: number;
  /** Access rows to write (`boot` writes one per 4 KiB page of memory, up to this many). */
  accesses: number;
  /** Guest memory the accesses fall in, from GPA 0, in bytes. */
  memoryBytes: number;
  /** vCPUs (`interleaved` uses at least 2). */
  vcpus: number;
  /** Hot-set size for `hotcold`, in bytes. */
  hotBytes: number;
  /** Share of `hotcold` accesses that go to the hot set, 0..1. */
  hotFraction: number;
  /** Share of writes among data accesses, 0..1. */
  writeFraction: number;
}

export const GENERATOR_DEFAULTS: Omit<GeneratorOptions, 'kind'> = {
  seed: 1,
  accesses: 20000,
  memoryBytes: 256 << 20,
  vcpus: 1,
  hotBytes: 4 << 20,
  hotFraction: 0.9,
  writeFraction: 0.3,
};

const PAGE = 4096;
/** Accesses are 8-byte loads and stores, 8-byte aligned: they never cross a page. */
const ACCESS_BYTES = 8;

/** The trace's lines, header and comment first. */
export function* generateTrace(options: GeneratorOptions): Generator<string> {
  const rng = new Prng(options.seed);
  const pages = Math.max(1, Math.floor(options.memoryBytes / PAGE));
  const op = (): string => (rng.nextFloat() < options.writeFraction ? 'W' : 'R');
  const at = (page: number): string => '0x' + (page * PAGE + rng.nextInt(PAGE / ACCESS_BYTES) * ACCESS_BYTES).toString(16);
  yield `# mmubench gen --kind ${options.kind} --seed ${options.seed} --accesses ${options.accesses} --memory ${options.memoryBytes} --vcpus ${options.vcpus}`;
  yield 'vcpu,op,gpa,size';
  switch (options.kind) {
    case 'boot': {
      // A boot: each vCPU in turn zeroes its share of memory, page by page, in order.
      const count = Math.min(options.accesses, pages);
      for (let i = 0; i < count; i++) yield `${i % options.vcpus},W,0x${(i * PAGE).toString(16)},${ACCESS_BYTES}`;
      break;
    }
    case 'random':
      for (let i = 0; i < options.accesses; i++) yield `${rng.nextInt(options.vcpus)},${op()},${at(rng.nextInt(pages))},${ACCESS_BYTES}`;
      break;
    case 'hotcold': {
      const hotPages = Math.max(1, Math.min(pages, Math.floor(options.hotBytes / PAGE)));
      for (let i = 0; i < options.accesses; i++) {
        const page = rng.nextFloat() < options.hotFraction ? rng.nextInt(hotPages) : rng.nextInt(pages);
        yield `${rng.nextInt(options.vcpus)},${op()},${at(page)},${ACCESS_BYTES}`;
      }
      break;
    }
    case 'interleaved': {
      // vCPUs take turns, each streaming through its own half (or share) of memory.
      const vcpus = Math.max(2, options.vcpus);
      const share = Math.max(1, Math.floor(pages / vcpus));
      for (let i = 0; i < options.accesses; i++) {
        const vcpu = i % vcpus;
        const page = vcpu * share + (Math.floor(i / vcpus) % share);
        yield `${vcpu},${op()},${at(page)},${ACCESS_BYTES}`;
      }
      break;
    }
  }
}
