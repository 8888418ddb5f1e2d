/**
 * Preload of the soak's nightly children (`node --import soakRss.js main.js
 * nightly ...`): at exit, write this process's peak RSS in KiB
 * (ownPeakRss.ts, worker threads included) to the file
 * MMUBENCH_SOAK_RSS_FILE names. Bench-only; the command itself knows nothing
 * of it.
 */
import { writeFileSync } from 'node:fs';
import { ownPeakRssKb } from './ownPeakRss.js';

const file = process.env.MMUBENCH_SOAK_RSS_FILE;
if (file !== undefined) process.on('exit', () => writeFileSync(file, String(ownPeakRssKb())));
