/**
 * bench/cpuProfile.ts sums each function's self time over every
 * .cpuprofile of a folder (one per thread) and leaves `(idle)` out.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { selfTimes } from '../bench/cpuProfile.js';

const frame = (functionName: string, url = '', lineNumber = -1) => ({ functionName, url, lineNumber, columnNumber: 0, scriptId: '0' });

it('sums self time per function over the profiles of every thread, idle left out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmubench-prof-test-'));
  try {
    const nodes = [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('hot', 'node:internal/x', 9) },
      { id: 3, callFrame: frame('(idle)') },
    ];
    // Main thread: hot 1 ms + 2 ms, idle 5 ms, root 0.5 ms. Worker: hot 4 ms.
    writeFileSync(join(dir, 'main.cpuprofile'), JSON.stringify({ nodes, samples: [2, 2, 3, 1], timeDeltas: [1000, 2000, 5000, 500] }));
    writeFileSync(join(dir, 'worker.cpuprofile'), JSON.stringify({ nodes, samples: [2], timeDeltas: [4000] }));
    const { totalMs, threads, functions } = selfTimes(dir);
    // hot: 1 + 2 + 4 = 7 ms, line 10 (V8 lines are 0-based); (root) 0.5 ms; total 7.5 ms without the 5 ms idle.
    expect({ totalMs, threads, functions }).toEqual({
      totalMs: 7.5,
      threads: 2,
      functions: [
        { name: 'hot', where: 'node:internal/x:10', selfMs: 7 },
        { name: '(root)', where: '', selfMs: 0.5 },
      ],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
