/**
 * `gen`'s progress bar counts lines against `generatedLines` and
 * `memstressLines`: each must say exactly how many lines its generator
 * writes. Hand counts:
 * - random, 10 accesses: comment + header + 10 rows = 12;
 * - boot, 64 accesses over 32 pages (128 KiB): one row per page, 32 + 2 = 34;
 * - nested, 2050 accesses: 2050 rows, an UNMAP after rows 1024 and 2048: 2 + 2050 + 2 = 2054;
 * - memstress, 2 vCPUs of 8 pages, 3 passes: 2 + 3 * 16 = 50;
 * - the same with --dirty-log (3 dirty passes): populate pass + 3 passes = 4 * 16 rows,
 *   DIRTY_LOG_ON, 3 harvests, DIRTY_LOG_OFF: 2 + 64 + 5 = 71; with --overlap every vCPU
 *   walks all 16 pages: 2 + 4 * 32 + 5 = 135.
 */
import { describe, expect, it } from 'vitest';
import { GENERATOR_DEFAULTS, generateTrace, generatedLines, type GeneratorOptions } from '../src/trace/generators.js';
import { MEMSTRESS_DEFAULTS, generateMemstress, memstressLines, type MemstressOptions } from '../src/trace/memstressGenerator.js';

/** Lines of a generator's output, whether it yields lines (no newline) or text blocks (ending one). */
function countLines(chunks: Iterable<string>, blocks: boolean): number {
  let lines = 0;
  for (const chunk of chunks) lines += blocks ? chunk.split('\n').length - 1 : 1;
  return lines;
}

describe('gen line counts', () => {
  it.each([
    ['random', { kind: 'random', accesses: 10 }, 12],
    ['boot', { kind: 'boot', accesses: 64, memoryBytes: 128 * 1024 }, 34],
    ['nested', { kind: 'nested', accesses: 2050 }, 2054],
  ] as const)('%s: generatedLines is the number of lines generateTrace yields', (_name, partial, expected) => {
    const options: GeneratorOptions = { ...GENERATOR_DEFAULTS, ...partial };
    expect(countLines(generateTrace(options), false)).toBe(expected);
    expect(generatedLines(options)).toBe(expected);
  });

  it.each([
    ['plain', { vcpus: 2, vcpuMemoryBytes: 8 * 4096, iterations: 3 }, 50],
    ['dirty-log', { vcpus: 2, vcpuMemoryBytes: 8 * 4096, iterations: 3, dirtyLog: 'get' }, 71],
    ['dirty-log, overlap', { vcpus: 2, vcpuMemoryBytes: 8 * 4096, iterations: 3, dirtyLog: 'clear', overlap: true }, 135],
  ] as const)('memstress %s: memstressLines is the number of lines generateMemstress writes', (_name, partial, expected) => {
    const options: MemstressOptions = { ...MEMSTRESS_DEFAULTS, ...partial };
    expect(countLines(generateMemstress(options), true)).toBe(expected);
    expect(memstressLines(options)).toBe(expected);
  });
});
