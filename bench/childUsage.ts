/**
 * Preload of childRun.ts's `run` children (`node --import childUsage.js
 * main.js run ...`): at exit, write this process's peak RSS in KiB (its own:
 * ownPeakRss.ts) and its
 * CPU time in microseconds (user + system, every thread: getrusage of the
 * process) as JSON to the file MMUBENCH_CHILD_USAGE_FILE names. Bench-only;
 * the command itself knows nothing of it.
 */
import { writeFileSync } from 'node:fs';
import { ownPeakRssKb } from './ownPeakRss.js';

const file = process.env.MMUBENCH_CHILD_USAGE_FILE;
if (file !== undefined) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: ownPeakRssKb(), cpuUs: usage.userCPUTime + usage.systemCPUTime }));
  });
}
