/**
 * Child process of peakRss.ts: `write PATH EVENTS` generates the trace;
 * `replay PATH` replays it as `run` would and prints its peak RSS as JSON.
 */
import { loadTrace } from '../src/trace/loadTrace.js';
import { replayCell } from '../src/replay/replayCell.js';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { writeBenchTrace } from './benchTraces.js';
import { ownPeakRssKb } from './ownPeakRss.js';

const [mode, path, events] = process.argv.slice(2);
const started = performance.now();
let accesses: number;
if (mode === 'write') {
  accesses = await writeBenchTrace(path, 'hit', Number(events));
} else {
  const trace = await loadTrace(path, { stream: true }); // as `run` loads it
  const [scenario] = parseMatrix({ arch: 'x86-tdp', backing: '2m', prefault: 'none' });
  accesses = replayCell(trace, scenario, { memslots: [], defaultSlotAlignBytes: 1 << 30 }).total.accesses;
}
// In KiB (kilobytes as the OS counts them): this process's own peak (ownPeakRss.ts).
const maxRssMb = (ownPeakRssKb() * 1024) / 1e6;
process.stdout.write(JSON.stringify({ maxRssMb, accesses, seconds: (performance.now() - started) / 1000 }) + '\n');
