/**
 * Fuzzing the two JSON inputs a user writes by hand: `run --vm FILE` layouts
 * and `nightly --config FILE` configurations (fast-check, fixed seed).
 *
 * Each generated file starts from a valid one and gets one to three
 * mutations (a value replaced by any JSON value or a near-miss string, a key
 * added or removed, the whole file replaced), so most are bad and a few stay
 * valid. The property: a valid file runs (exit 0, a report); a bad one exits
 * 2 with exactly one line located in the file (`FILE: key: ...`), no stack,
 * and no report folder or temporary folder.
 *
 * In-process the parsers take many cases (they must return or throw a
 * located `InputError`, never another exception); through the real command
 * a smaller number, each a process.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { parseVmLayout } from '../src/cli/vmLayout.js';
import { parseNightlyConfig } from '../src/cli/nightlyCommand.js';
import { DEEP, propertyParams } from './helpers/propertyConfig.js';
import { fixture, runCli, type CliResult } from './helpers/runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-config-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Values a hand-written file might hold where another was expected. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '0x0',
    '0x1000',
    '0x1001',
    '0x200000',
    '0x40000000',
    '0x7fffc0000000',
    '0x10000000000000',
    '-1',
    '',
    '4k',
    '2m',
    '3m',
    'all',
    'none',
    'on',
    'cow',
    'normal',
    'x86-tdx',
    'arm64',
    'riscv',
    '4k,,2m',
    '47',
    '0x800000000000',
  ),
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -5, max: 1 << 20 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);

/** One mutation of a JSON object: set a (known or unknown) key to a value, or delete a key. */
function mutate(keys: readonly string[]): fc.Arbitrary<(o: Record<string, unknown>) => void> {
  return fc.oneof(
    fc.tuple(fc.constantFrom(...keys, 'extra'), anyValue).map(([key, value]) => (o: Record<string, unknown>) => {
      o[key] = value;
    }),
    fc.constantFrom(...keys).map((key) => (o: Record<string, unknown>) => void delete o[key]),
  );
}

const SLOT_KEYS = ['id', 'gpa', 'size', 'backing', 'hvaOffset', 'readOnly', 'dirtyLogging', 'private', 'pfnmap'];

/** A `--vm` layout: a valid one with mutations in its slots or top level, or any JSON at all. */
const layoutArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.array(fc.tuple(fc.nat(1), mutate(SLOT_KEYS)), { minLength: 1, maxLength: 3 }),
        fc.array(mutate(['memslots', 'stolenBits', 'fwb']), { maxLength: 1 }),
      )
      .map(([slotMutations, topMutations]) => {
        const layout: Record<string, unknown> = {
          memslots: [
            { gpa: '0x0', size: '0x40000000' },
            { gpa: '0x40000000', size: '0x200000', backing: '4k' },
          ],
        };
        for (const [index, m] of slotMutations) m((layout.memslots as Record<string, unknown>[])[index]);
        for (const m of topMutations) m(layout);
        return layout;
      }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const MATRIX_KEYS = ['arch', 'maxLevel', 'backing', 'prefault', 'tlbEntries', 'tlbWays', 'memslot'];

/** A nightly configuration: the tiny one with mutations in its matrix or top level, or any JSON. */
const configArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.array(mutate(MATRIX_KEYS), { minLength: 1, maxLength: 2 }), fc.array(mutate(['traceDir', 'matrix']), { maxLength: 1 }))
      .map(([matrixMutations, topMutations]) => {
        const config: Record<string, unknown> = { traceDir: 'test/fixtures/nightly-traces', matrix: { backing: '4k,2m', prefault: 'none' } };
        for (const m of matrixMutations) m(config.matrix as Record<string, unknown>);
        for (const m of topMutations) m(config);
        return config;
      }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** A located message for `file`: `file: ` and a key or `top level`, one line. */
function expectLocated(message: string, file: string): void {
  expect(message.startsWith(`${file}: `), message).toBe(true);
  expect(message).not.toContain('\n');
}

describe('fuzzed --vm layouts and nightly configurations, in-process', () => {
  it('parseVmLayout returns a layout or throws one located InputError', () => {
    fc.assert(
      fc.property(layoutArb, (layout) => {
        try {
          // Through JSON, as read from a file (plain objects, no undefined).
          parseVmLayout('vm.json', JSON.parse(JSON.stringify(layout) ?? 'null'));
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          expectLocated((error as Error).message, 'vm.json');
        }
      }),
      propertyParams(400),
    );
  });

  it('parseNightlyConfig returns a configuration or throws one located InputError', () => {
    fc.assert(
      fc.property(configArb, (config) => {
        try {
          parseNightlyConfig('nightly.json', JSON.parse(JSON.stringify(config) ?? 'null'));
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          expectLocated((error as Error).message, 'nightly.json');
        }
      }),
      propertyParams(400),
    );
  });
});

/** Counts of what the command did, so the fuzzing is seen to reach both outcomes. */
const seen = { ok: 0, bad: 0 };

/** Exit 0 with a report in `out`, or exit 2 with one located line and nothing in `out` or beside it. */
function expectRunsOrLocated(result: CliResult, file: string, out: string): void {
  const leftovers = existsSync(dirname(out)) ? readdirSync(dirname(out)).filter((name) => name.includes('.tmp-')) : [];
  expect(leftovers).toEqual([]);
  if (result.status === 0) {
    seen.ok++;
    expect(existsSync(out), result.stderr).toBe(true);
    return;
  }
  seen.bad++;
  expect(result.status, result.stderr).toBe(2);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expectLocated(lines[0].replace(/^mmubench: /, ''), file);
  expect(existsSync(out)).toBe(false);
}

const dirname = (path: string): string => path.slice(0, path.lastIndexOf('/'));
/** Each case through the command is a process (about 0.3 s); the deep run has twenty times as many. */
const COMMAND_TIMEOUT_MS = DEEP ? 900_000 : 60_000;

describe('fuzzed --vm layouts and nightly configurations, through the command', () => {
  it(
    'run --vm: a valid layout runs; a bad one exits 2 with one line located in the file',
    () => {
      let n = 0;
      fc.assert(
        fc.property(layoutArb, fc.constantFrom([], ['--arch', 'arm64'], ['--arch', 'x86-tdx'], ['--arch', 'pkvm']), (layout, arch) => {
          const vm = join(dir, `vm-${++n}.json`);
          writeFileSync(vm, JSON.stringify(layout) ?? 'null');
          const out = join(dir, `vm-out-${n}`);
          expectRunsOrLocated(runCli(['run', fixture('tiny-valid.csv'), '--out', out, '-q', '--threads', '0', '--vm', vm, ...arch]), vm, out);
        }),
        propertyParams(12),
      );
    },
    COMMAND_TIMEOUT_MS,
  );

  it(
    'nightly --config: a valid configuration runs; a bad one exits 2 with one line located in the file',
    () => {
      let n = 0;
      fc.assert(
        fc.property(configArb, (config) => {
          const file = join(dir, `nightly-${++n}.json`);
          writeFileSync(file, JSON.stringify(config) ?? 'null');
          const reports = join(dir, `reports-${n}`);
          const result = runCli(['nightly', '--config', file, '--reports', reports, '-q', '--threads', '0', '--bench-time', '0']);
          // A bad configuration is refused before the reports folder is even created.
          expectRunsOrLocated(result, file, reports);
        }),
        propertyParams(12),
      );
      // The mutations must produce bad files most of the time, and the fuzzing must see both outcomes overall.
      expect(seen.bad).toBeGreaterThan(seen.ok);
      expect(seen.ok).toBeGreaterThan(0);
    },
    COMMAND_TIMEOUT_MS,
  );
});
