/**
 * Synthetic trace generators for `mmubench gen`. Each yields CSV rows of
 * trace format v1 from a seeded PRNG, so a (kind, options) pair always gives
 * the same file.
 */
import { Prng } from './prng.js';

export const GENERATOR_KINDS = ['boot', 'random', 'hotcold', 'interleaved', 'nested'] as const;
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
  /** Hot-set size for `hotcold` (the guest hypervisor's working set for `nested`), in bytes. */
  hotBytes: number;
  /** Share of `hotcold` and `nested` accesses that go to the hot set, 0..1. */
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
const MIB2 = 2 << 20;
const GIB = 1 << 30;
/** `nested`: share of rows that are AT instructions. */
const NESTED_AT_SHARE = 0.125;
/** `nested`: the host evicts 2 MiB after every this many rows. */
const NESTED_EVICT_EVERY = 1024;
/**
 * `nested`: AT variants drawn with these weights (out of 20): mostly the EL1
 * forms a guest hypervisor uses on behalf of its guest (S1E1R/W), the PAN
 * forms, the EL0 forms, and its own EL2 regime.
 */
const NESTED_AT_VARIANTS = [
  'S1E1R',
  'S1E1R',
  'S1E1R',
  'S1E1R',
  'S1E1R',
  'S1E1R',
  'S1E1W',
  'S1E1W',
  'S1E1W',
  'S1E1W',
  'S1E1RP',
  'S1E1RP',
  'S1E1RP',
  'S1E1WP',
  'S1E1WP',
  'S1E0R',
  'S1E0R',
  'S1E0W',
  'S1E2R',
  'S1E2W',
];
/** Accesses are 8-byte loads and stores, 8-byte aligned: they never cross a page. */
const ACCESS_BYTES = 8;

/** How many lines `generateTrace(options)` yields: the comment, the header, then its rows (for a progress bar). */
export function generatedLines(options: GeneratorOptions): number {
  const pages = Math.max(1, Math.floor(options.memoryBytes / PAGE));
  if (options.kind === 'boot') return 2 + Math.min(options.accesses, pages);
  if (options.kind === 'nested') return 2 + options.accesses + Math.floor(options.accesses / NESTED_EVICT_EVERY);
  return 2 + options.accesses;
}

/** The trace's lines, header and comment first. */
export function* generateTrace(options: GeneratorOptions): Generator<string> {
  const rng = new Prng(options.seed);
  const pages = Math.max(1, Math.floor(options.memoryBytes / PAGE));
  const op = (): string => (rng.nextFloat() < options.writeFraction ? 'W' : 'R');
  const at = (page: number): string => '0x' + (page * PAGE + rng.nextInt(PAGE / ACCESS_BYTES) * ACCESS_BYTES).toString(16);
  yield `# mmubench gen --kind ${options.kind} --seed ${options.seed} --accesses ${options.accesses} --memory ${options.memoryBytes} --vcpus ${options.vcpus}`;
  if (options.kind === 'nested') {
    yield* nested(options, rng, pages, op, at);
    return;
  }
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

/**
 * `nested`: a guest hypervisor (arm64 nested virtualization, seed 003). Its
 * vCPUs access memory (the working set, `hotBytes` from GPA 0, with
 * `hotFraction` of the accesses) and one row in 8 is an AT of a working-set
 * address (guest VA = GPA). After every 1024 rows the host evicts 2 MiB (an
 * UNMAP row), in turn a range of the working set and the top 2 MiB of the
 * default memslot (`memoryBytes` rounded up to 1 GiB), where the synthetic
 * guest stage-1 tables of `--guest-levels 4` sit (src/replay/guestWalk.ts):
 * the ATs after it take KVM's slow path until the tables are back.
 */
function* nested(options: GeneratorOptions, rng: Prng, pages: number, op: () => string, at: (page: number) => string): Generator<string> {
  yield 'vcpu,op,gpa,size,x_at';
  const hotPages = Math.max(1, Math.min(pages, Math.floor(options.hotBytes / PAGE)));
  const slotEnd = Math.ceil((pages * PAGE) / GIB) * GIB;
  let evictions = 0;
  for (let i = 0; i < options.accesses; i++) {
    const vcpu = rng.nextInt(options.vcpus);
    if (rng.nextFloat() < NESTED_AT_SHARE) {
      const variant = NESTED_AT_VARIANTS[rng.nextInt(NESTED_AT_VARIANTS.length)];
      yield `${vcpu},AT,0x${(rng.nextInt(hotPages) * PAGE).toString(16)},,${variant}`;
    } else {
      const page = rng.nextFloat() < options.hotFraction ? rng.nextInt(hotPages) : rng.nextInt(pages);
      yield `${vcpu},${op()},${at(page)},${ACCESS_BYTES},`;
    }
    if (i % NESTED_EVICT_EVERY === NESTED_EVICT_EVERY - 1) {
      const hotRanges = Math.max(1, Math.floor((hotPages * PAGE) / MIB2));
      const start = evictions++ % 2 === 0 ? rng.nextInt(hotRanges) * MIB2 : slotEnd - MIB2;
      yield `0,UNMAP,0x${start.toString(16)},0x${MIB2.toString(16)},`;
    }
  }
}
