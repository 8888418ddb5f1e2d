/**
 * Preloaded into a benchmarked CLI process (`node --import`): at exit it
 * writes the process's peak RSS and CPU time (every thread, workers included)
 * as JSON to the file named by MMUBENCH_RSS_FILE.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.MMUBENCH_RSS_FILE;
if (file !== undefined) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    // maxRSS is in KiB (kilobytes as the OS counts them); CPU times in µs.
    writeFileSync(file, JSON.stringify({ maxRssMb: (usage.maxRSS * 1024) / 1e6, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6 }));
  });
}
