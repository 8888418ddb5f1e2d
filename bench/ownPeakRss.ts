/**
 * The peak RSS of this process alone, in KiB, for the bench's children
 * (the childUsage.ts preload, peakRssChild.ts).
 *
 * Not `process.resourceUsage().maxRSS`: Linux keeps a process's peak RSS
 * across fork and execve (getrusage(2)), so a child spawned by a bench
 * process that has grown reports the parent's size at the fork whenever it
 * is larger than its own. A child of a 320 MB parent said 309 MB against a
 * real 39 MB; `csv-stream` run after the `per-vcpu` suite in one bench
 * process gave 263-288 MB, run alone 148 MB. `VmHWM` in /proc/self/status is
 * the high-water mark of the memory map execve made (every thread's). Other
 * systems fall back to maxRSS, with that caveat.
 */
import { readFileSync } from 'node:fs';

export function ownPeakRssKb(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm !== null) return Number(hwm[1]);
  } catch {
    // not Linux: below
  }
  return process.resourceUsage().maxRSS;
}
