/**
 * Peak RSS of a streamed replay: a 100 M-access hit-heavy binary trace is
 * generated on the fly into a temp file (about 0.9 GB: random gpa and op
 * columns are stored raw), then replayed by `run`'s own path (`loadTrace`
 * with its validating pass, then `replayCell`, x86-tdp, 2M backing) in a
 * child process with a small heap limit; the child reports its own peak
 * RSS (ownPeakRss.ts). Generation runs in another child, so
 * its memory never counts.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './benchResults.js';

const CHILD = fileURLToPath(new URL('./peakRssChild.js', import.meta.url));
/** Heap limit of the replay child: streaming must not need more. */
const HEAP_LIMIT_MB = 128;
/** Target of issue 5. */
const RSS_TARGET_MB = 300;

interface ChildReport {
  maxRssMb: number;
  accesses: number;
  seconds: number;
}

function runChild(args: string[]): ChildReport {
  const result = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_LIMIT_MB}`, CHILD, ...args], { encoding: 'utf8', timeout: 900_000 });
  if (result.status !== 0) throw new Error(`peak RSS child ${args[0]} failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as ChildReport;
}

export function peakRssSuite(dir: string, events: number): BenchRow[] {
  const path = join(dir, 'rss.mtr');
  try {
    runChild(['write', path, String(events)]);
    const sizeMb = statSync(path).size / 2 ** 20;
    const replay = runChild(['replay', path]);
    const name = `peak RSS, streamed replay of ${replay.accesses / 1e6} M accesses (${Math.round(sizeMb)} MiB .mtr, heap limit ${HEAP_LIMIT_MB} MiB)`;
    return [
      {
        suite: 'memory',
        name,
        arch: 'x86-tdp',
        value: replay.maxRssMb,
        unit: 'MB',
        meanMs: replay.seconds * 1000,
        samples: 1,
        clock: 'wall',
        target: RSS_TARGET_MB,
      },
      {
        suite: 'memory',
        name: 'same replay, accesses/s (validating pass included)',
        arch: 'x86-tdp',
        value: replay.accesses / replay.seconds,
        unit: 'accesses/s',
        meanMs: replay.seconds * 1000,
        samples: 1,
        clock: 'wall',
        target: 0,
      },
    ];
  } finally {
    rmSync(path, { force: true });
  }
}
