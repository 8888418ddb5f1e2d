/**
 * The bench's one preload for measured children (`node --import
 * childUsage.js main.js ...`: childRun.ts's `run` children, csvStream.ts's
 * runs, the soak's nightlies), and the reader of what it writes. At exit a
 * child started with `CHILD_USAGE_ENV` set writes its own peak RSS in KiB
 * (ownPeakRss.ts, every thread's) and its CPU time in microseconds (user +
 * system, every thread: getrusage of the process) as JSON to the file that
 * variable names. Imported by the bench process itself (to read the file),
 * it does nothing: the variable is set only in the children's environment.
 * Bench-only; the commands know nothing of it.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ownPeakRssKb } from './ownPeakRss.js';

/** The environment variable naming the file a child writes its usage to. */
export const CHILD_USAGE_ENV = 'MMUBENCH_CHILD_USAGE_FILE';
/** This module, for a child's `--import`. */
export const CHILD_USAGE_PRELOAD = fileURLToPath(import.meta.url);

/** What one child used. */
export interface ChildUsage {
  /** Its own peak RSS, MB (10^6 bytes). */
  peakRssMb: number;
  /** CPU time, user + system, every thread, s. */
  cpuSeconds: number;
}

/** The usage a child wrote to `file`, which is then removed. */
export function readChildUsage(file: string): ChildUsage {
  const usage = JSON.parse(readFileSync(file, 'utf8')) as { maxRssKb: number; cpuUs: number };
  rmSync(file, { force: true });
  return { peakRssMb: (usage.maxRssKb * 1024) / 1e6, cpuSeconds: usage.cpuUs / 1e6 };
}

const file = process.env[CHILD_USAGE_ENV];
if (file !== undefined) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: ownPeakRssKb(), cpuUs: usage.userCPUTime + usage.systemCPUTime }));
  });
}
