/**
 * Preloaded into a benchmarked CLI process (`node --import`): at exit it
 * writes the process's own peak RSS (ownPeakRss.ts) and CPU time (every thread, workers included)
 * as JSON to the file named by MMUBENCH_RSS_FILE.
 */
import { writeFileSync } from 'node:fs';
import { ownPeakRssKb } from './ownPeakRss.js';

const file = process.env.MMUBENCH_RSS_FILE;
if (file !== undefined) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    // The peak RSS in KiB (kilobytes as the OS counts them: ownPeakRss.ts); CPU times in µs.
    writeFileSync(file, JSON.stringify({ maxRssMb: (ownPeakRssKb() * 1024) / 1e6, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6 }));
  });
}
