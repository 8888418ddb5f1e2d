/**
 * Whole-process CPU profile of `run FILE.mtr`, for the note on a missed
 * target (issue 14): `node --cpu-prof` on the command (one .cpuprofile per
 * thread, the replay worker's included), then a top-N self-time summary over
 * all of them. V8 samples on a wall-clock interval, so on a loaded machine
 * the times include time off the CPU; the shares stay meaningful. vs-c calls it for a trace that misses a target; by hand:
 *
 *     node dist/bench/cpuProfile.js TRACE.mtr [run flags...]   # profile, then summarise
 *     node dist/bench/cpuProfile.js --summary DIR              # summarise the .cpuprofile files in DIR
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The parts of V8's .cpuprofile JSON this reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function (all its nodes, in every profile). */
export interface SelfTime {
  name: string;
  where: string;
  selfMs: number;
}

/** Self time per function over every .cpuprofile in `dir`, most first; `(idle)` left out. Also the total. */
export function selfTimes(dir: string): { totalMs: number; threads: number; functions: SelfTime[] } {
  const byKey = new Map<string, SelfTime>();
  let totalMs = 0;
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
    for (let i = 0; i < profile.samples.length; i++) {
      const frame = nodes.get(profile.samples[i])!;
      if (frame.functionName === '(idle)') continue;
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      const url = frame.url.startsWith('file://') ? relative(ROOT, fileURLToPath(frame.url)) : frame.url;
      const where = url === '' ? '' : `${url}:${frame.lineNumber + 1}`;
      const name = frame.functionName || '(anonymous)';
      const key = `${name} ${where}`;
      const entry = byKey.get(key) ?? { name, where, selfMs: 0 };
      entry.selfMs += ms;
      byKey.set(key, entry);
      totalMs += ms;
    }
  }
  return { totalMs, threads: files.length, functions: [...byKey.values()].sort((a, b) => b.selfMs - a.selfMs) };
}

/** The top `count` functions by self time, as text lines. */
export function summarise(dir: string, count = 10): string {
  const { totalMs, threads, functions } = selfTimes(dir);
  const lines = [`${totalMs.toFixed(0)} ms sampled over ${threads} thread(s) (idle left out); top ${count} by self time:`];
  for (const f of functions.slice(0, count)) {
    lines.push(`  ${f.selfMs.toFixed(0).padStart(6)} ms ${((100 * f.selfMs) / totalMs).toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  }
  return lines.join('\n');
}

/** Profile `run TRACE --out (temp) ...flags` and summarise it; the profiles are deleted. */
export function profileRun(trace: string, flags: readonly string[], count = 10): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmubench-prof-'));
  try {
    const args = ['--cpu-prof', '--cpu-prof-dir', dir, CLI, 'run', trace, '--out', join(dir, 'out'), '-q', ...flags];
    const result = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 1_800_000 });
    if (result.status !== 0) throw new Error(`profiled run exited ${result.status ?? result.signal}: ${result.stderr}`);
    return `node --cpu-prof ${relative(ROOT, CLI)} run ${trace} ${flags.join(' ')}\n${summarise(dir, count)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [first, ...rest] = process.argv.slice(2);
  if (first === undefined) {
    process.stderr.write('usage: cpuProfile.js TRACE.mtr [run flags...] | cpuProfile.js --summary DIR\n');
    process.exit(2);
  }
  process.stdout.write(`${first === '--summary' ? summarise(rest[0]) : profileRun(first, rest)}\n`);
}
