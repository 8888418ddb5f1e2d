/**
 * Fuzzing every importer (issue 8, "Inputs"): random bytes and mutated real
 * lines either import (every row a valid trace row) or, with --strict, fail
 * with a located `file:line: reason: line` error. Never another exception,
 * never a hang: each import must end within HANG_MS.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { GPA_LIMIT } from '../src/mmu/address.js';
import { MAX_VCPU_ID } from '../src/trace/fieldParsers.js';
import { Op } from '../src/trace/ops.js';
import { importTrace } from '../src/trace/importers/importTrace.js';
import { IMPORT_DEFAULTS, type ImportFormat } from '../src/trace/importers/importOptions.js';
import type { ImportSink } from '../src/trace/importers/importTypes.js';
import { propertyParams } from './helpers/propertyConfig.js';
import { fixture } from './helpers/runCli.js';

/** An import that takes longer than this is a hang (real imports of these inputs take milliseconds). */
const HANG_MS = 5000;

/** Rows that a trace could not hold, as messages (empty when every row is valid). */
class CheckingSink implements ImportSink {
  readonly problems: string[] = [];
  rows = 0;
  private readonly lastTime = new Map<number, number>();

  access(op: Op, vcpu: number, gpa: number, sizeBytes: number, _input: number, line: number, timeNs: number): void {
    this.rows++;
    const problem =
      op !== Op.R && op !== Op.W && op !== Op.X
        ? `op ${op}`
        : !Number.isInteger(vcpu) || vcpu < 0 || vcpu > MAX_VCPU_ID
          ? `vcpu ${vcpu}`
          : !Number.isInteger(gpa) || gpa < 0 || !Number.isInteger(sizeBytes) || sizeBytes < 1 || gpa + sizeBytes > GPA_LIMIT
            ? `range ${gpa}+${sizeBytes}`
            : timeNs !== -1 && (!Number.isSafeInteger(timeNs) || timeNs < (this.lastTime.get(vcpu) ?? 0))
              ? `time ${timeNs}`
              : !(line >= 1)
                ? `line ${line}`
                : undefined;
    if (problem !== undefined) this.problems.push(problem);
    if (timeNs !== -1) this.lastTime.set(vcpu, timeNs);
  }

  level(gfn: number, level: number): void {
    if (!Number.isInteger(gfn) || gfn < 0 || gfn * 4096 >= GPA_LIMIT || level < 1 || level > 3) this.problems.push(`level ${gfn}/${level}`);
  }
}

/** How many imports made rows, and how many failed with a located error: the fuzzing must reach both. */
const seen = { withRows: 0, located: 0 };

/** 'ok', or the located InputError message (strict); anything else fails the property. */
async function outcome(format: ImportFormat, bytes: Uint8Array, strict: boolean, chunkBytes?: number): Promise<string> {
  const sink = new CheckingSink();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`import did not end within ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    const options = { ...IMPORT_DEFAULTS, strict };
    await Promise.race([importTrace(format, [{ name: 'fuzz.txt', bytes, chunkBytes }], options, sink), hang]);
    expect(sink.problems).toEqual([]);
    if (sink.rows > 0) seen.withRows++;
    return 'ok';
  } catch (error) {
    if (strict && error instanceof InputError) {
      seen.located++;
      return error.message;
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

const LOCATED = /^fuzz\.txt:\d+: [^\n]+$/;

/** Real lines to mutate: the first event lines of the kvmmmu capture, the tiny lackey capture, and one of each event variant. */
const FTRACE_LINES = [
  ...readFileSync(fixture('ftrace-kvmmmu-shadow-4k.txt'), 'utf8').split('\n').slice(10, 40),
  '       CPU 1/KVM-4243    (   4200) [003] d..1. 1000.000002: kvm_page_fault: vcpu 1 rip 0xffffffff81000000 address 0x0000000000123000 error_code 0x6',
  '       CPU 1/KVM  4243 [003] 1000.000004:  kvm:kvm_page_fault: address 123000 error_code 6',
  ' CPU 0/KVM-900 [002] .... 7.000000: kvm_guest_fault: ipa 0x40123000, hsr 0x93c00046, hxfar 0x123000, pc 0xffff800010000000',
  ' CPU 0/KVM-4242 [000] ...1 9.000003: kvm_tdp_mmu_spte_changed: as id 0 gfn 200 level 2 old_spte 5a0 new_spte 80000001a2b3c8f7',
];
const LACKEY_LINES = readFileSync(fixture('lackey-tiny.log'), 'utf8').split('\n');
const QEMU_MEM_LINES = readFileSync(fixture('qemu-mem-tiny.log'), 'utf8').split('\n');

/** A mutation: at a position, delete some chars and insert others (digits, separators, or anything). */
const mutation = fc.tuple(
  fc.nat(),
  fc.integer({ min: 0, max: 8 }),
  fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.stringMatching(/^[0-9a-fx,.: [\]-]{1,40}$/),
    fc.constantFrom('\n', '\r\n', '\u0000', 'ffffffffffffffffffff', '9'.repeat(30)),
  ),
);

function mutate(lines: readonly string[], picks: number[], mutations: [number, number, string][]): Buffer {
  let text = picks.map((i) => lines[i % lines.length]).join('\n');
  for (const [at, remove, insert] of mutations) {
    const p = text.length === 0 ? 0 : at % text.length;
    text = text.slice(0, p) + insert + text.slice(p + remove);
  }
  return Buffer.from(text);
}

for (const [format, lines] of [
  ['ftrace', FTRACE_LINES],
  ['lackey', LACKEY_LINES],
  ['qemu-mem', QEMU_MEM_LINES],
] as const) {
  describe(`${format} importer fuzzing (property)`, () => {
    it('random bytes import, or fail --strict with a located error', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.boolean(), fc.integer({ min: 1, max: 64 }), async (bytes, strict, chunk) => {
          const result = await outcome(format, bytes, strict, chunk);
          expect(result === 'ok' || LOCATED.test(result), result).toBe(true);
        }),
        propertyParams(150),
      );
    }, 60_000);

    it('mutated real lines import, or fail --strict with a located error', async () => {
      seen.withRows = 0;
      seen.located = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
          fc.array(mutation, { minLength: 1, maxLength: 5 }),
          fc.boolean(),
          async (picks, mutations, strict) => {
            const result = await outcome(format, mutate(lines, picks, mutations), strict);
            expect(result === 'ok' || LOCATED.test(result), result).toBe(true);
          },
        ),
        propertyParams(200),
      );
      expect(seen.withRows).toBeGreaterThan(20);
      expect(seen.located).toBeGreaterThan(20);
    }, 60_000);
  });
}

describe('importers on pathological inputs', () => {
  it('a 4 MiB line of digits and colons (regex bait) imports in bounded time as one too-long line', async () => {
    const bytes = Buffer.from(`${'1: '.repeat(4 << 18)}\n 1.0: kvm_page_fault: address 1000 error_code 4\n`);
    for (const format of ['ftrace', 'lackey'] as const) expect(await outcome(format, bytes, false, 1 << 16)).toBe('ok');
    expect(await outcome('ftrace', bytes, true)).toMatch(/^fuzz\.txt:1: line longer than 64 KiB: 1: 1: /);
  });

  it('a 60 KiB line just under the limit with many ": " separators parses in bounded time', async () => {
    const bytes = Buffer.from(`${'a: '.repeat(20_000)}1.0: kvm_page_fault: address 1000 error_code 4\n`);
    expect(await outcome('ftrace', bytes, false)).toBe('ok');
  });
});

describe('importers on the edge cases of issue 8', () => {
  /** Import `text` and return the rows as `vcpu,op,0xgpa,size` and the skip reasons. */
  async function run(format: ImportFormat, text: string, strict = false) {
    const rows: string[] = [];
    const sink: ImportSink = {
      access(op, vcpu, gpa, sizeBytes) {
        rows.push(`${vcpu},${op},0x${gpa.toString(16)},${sizeBytes}`);
      },
    };
    const summary = await importTrace(format, [{ name: 'edge.txt', bytes: Buffer.from(text) }], { ...IMPORT_DEFAULTS, strict }, sink);
    return { rows, reasons: summary.skipped.map((t) => `${t.bad ? 'bad' : 'left out'}: ${t.reason} x${t.count}`), lines: summary.lines };
  }

  it('an empty input makes no row and no error (the command then refuses it as "no access rows")', async () => {
    for (const format of ['ftrace', 'lackey'] as const) expect(await run(format, '')).toEqual({ rows: [], reasons: [], lines: 0 });
  });

  it('a BOM and CRLF line ends change nothing', async () => {
    expect((await run('lackey', '\uFEFF L 1000,4\r\n S 2000,8\r\n')).rows).toEqual(['0,1,0x1000,4', '0,2,0x2000,8']);
    const fault = ' CPU 0/KVM-1 [000] .... 1.000000: kvm_page_fault: vcpu 0 rip 0x1000 address 0x3000 error_code 0x6';
    expect((await run('ftrace', `\uFEFF${fault}\r\n`)).rows).toEqual(['0,2,0x3000,1']);
  });

  it('ftrace: the last GPA below 2^52 imports; 2^52 and a 17-digit address are not understood', async () => {
    const at = (address: string, t: string): string =>
      ` CPU 0/KVM-1 [000] .... 1.00000${t}: kvm_page_fault: vcpu 0 rip 0x1000 address ${address} error_code 0x4`;
    const { rows, reasons } = await run('ftrace', [at('0x000fffffffffffff', '0'), at('0x0010000000000000', '1'), at('0x10000000000000000', '2')].join('\n'));
    expect(rows).toEqual(['0,1,0xfffffffffffff,1']);
    expect(reasons).toEqual(['bad: address at or beyond 2^52 x1', 'bad: kvm_page_fault fields not in a known format x1']);
  });

  it('ftrace: a vCPU id above 4095 is not understood', async () => {
    const { rows, reasons } = await run('ftrace', ' t-1 [000] .... 1.0: kvm_page_fault: vcpu 4096 rip 0x1000 address 0x3000 error_code 0x6');
    expect([rows, reasons]).toEqual([[], ['bad: vCPU id above 4095 x1']]);
  });

  it('lackey: zero sizes, sizes over 1 GiB and accesses past 2^64 are not understood; 16-digit addresses are exact', async () => {
    const { rows, reasons } = await run('lackey', [' L 1000,0', ' L 1000,1073741825', ' L fffffffffffffffc,8', ' S ffffffffffffffff,1'].join('\n'));
    expect(rows).toEqual(['0,2,0x3fffffff,1']);
    expect(reasons).toEqual(['bad: size out of range (1 byte to 1 GiB) x2', 'bad: access wraps past the 64-bit address space x1']);
  });
});
