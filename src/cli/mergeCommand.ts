/**
 * `mmubench merge DIR... --out DIR`: join the reports of `run --shard I/N`
 * into the report the unsharded run would have written (same results.csv,
 * byte for byte), after checking the shards belong together and cover the
 * matrix exactly once.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InputError, EXIT_FAILED, EXIT_OK } from '../errors.js';
import { writeReport } from '../report/writeReport.js';
import { checkOutputPath } from '../outputPath.js';
import type { RunInfo, RunModel } from '../report/runJson.js';
import type { CellOutcome, CellResult } from '../replay/results.js';

interface ShardReport {
  dir: string;
  info: RunInfo;
  outcomes: CellOutcome[];
}

/** One stored cell of run.json, as `runToJson` wrote it. */
type StoredCell = ({ ok: true } & CellResult) | ({ ok: false } & Omit<Extract<CellOutcome, { ok: false }>, 'ok'>);

async function readShard(dir: string): Promise<ShardReport> {
  const path = join(dir, 'run.json');
  let json: RunInfo & { cells: StoredCell[] };
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InputError(
      `${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (is this a report folder?)' : (error as Error).message}`,
    );
  }
  if (json.tool !== 'mmubench' || !Array.isArray(json.cells) || !Array.isArray(json.scenarios)) {
    throw new InputError(`${path}: not an mmubench run.json with cells and scenarios`);
  }
  if (json.shard === undefined) throw new InputError(`${path}: not a shard (run with --shard I/N)`);
  const { cells, ...info } = json;
  const outcomes = cells.map((cell): CellOutcome => {
    if (cell.ok) {
      const { ok: _ok, ...result } = cell;
      return { ok: true, result };
    }
    return { ok: false, trace: cell.trace, scenario: cell.scenario, error: cell.error };
  });
  return { dir, info, outcomes };
}

/** Merge shard reports in matrix order; throws `InputError` when they do not fit together. */
export function mergeShards(shards: readonly ShardReport[]): RunModel {
  const first = shards[0];
  const count = first.info.shard!.count;
  const traceNames = first.info.traces.map((t) => t.name);
  const seen = new Set<number>();
  for (const shard of shards) {
    const where = `${shard.dir}/run.json`;
    if (shard.info.shard!.count !== count) throw new InputError(`${where}: shard of ${shard.info.shard!.count}, but ${first.dir} is a shard of ${count}`);
    if (JSON.stringify(shard.info.scenarios) !== JSON.stringify(first.info.scenarios)) {
      throw new InputError(`${where}: a different scenario matrix than ${first.dir}`);
    }
    if (JSON.stringify(shard.info.traces.map((t) => t.name)) !== JSON.stringify(traceNames)) {
      throw new InputError(`${where}: different traces than ${first.dir}`);
    }
    // The estimates of every shard must be priced alike, or the merged est_*_ns would mix profiles.
    if (JSON.stringify(shard.info.costs?.profile) !== JSON.stringify(first.info.costs?.profile)) {
      throw new InputError(`${where}: priced with another cost profile (--costs) than ${first.dir}`);
    }
    if (seen.has(shard.info.shard!.index)) throw new InputError(`${where}: shard ${shard.info.shard!.index}/${count} given twice`);
    seen.add(shard.info.shard!.index);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) throw new InputError(`merge: shards ${missing.map((i) => `${i}/${count}`).join(', ')} are missing`);
  // Cells in (trace, scenario) order, as the unsharded run orders them.
  const byKey = new Map<string, CellOutcome>();
  for (const shard of shards) {
    for (const outcome of shard.outcomes) {
      const trace = outcome.ok ? outcome.result.trace : outcome.trace;
      const scenario = outcome.ok ? outcome.result.scenario.name : outcome.scenario.name;
      byKey.set(`${trace}\u0000${scenario}`, outcome);
    }
  }
  const outcomes: CellOutcome[] = [];
  for (const trace of traceNames) {
    for (const scenario of first.info.scenarios) {
      const outcome = byKey.get(`${trace}\u0000${scenario}`);
      if (outcome === undefined) throw new InputError(`merge: no shard has the cell ${trace} / ${scenario}`);
      outcomes.push(outcome);
    }
  }
  const { shard: _shard, ...info } = first.info;
  return {
    info: {
      ...info,
      command: process.argv.slice(1),
      startedAt: shards.map((s) => s.info.startedAt).sort()[0],
      durationMs: Math.max(...shards.map((s) => s.info.durationMs)),
    },
    outcomes,
  };
}

export function registerMergeCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('merge')
    .description('join the reports of run --shard I/N into one report')
    .argument('<dir...>', 'shard report folders')
    .requiredOption('--out <dir>', 'merged report folder to create')
    .option('--force', 'replace --out if it exists')
    .option('-q, --quiet', 'no summary line')
    .action(async (dirs: string[], options: { out: string; force?: boolean; quiet?: boolean }) => {
      await checkOutputPath('--out', options.out, { kind: 'folder-new', force: options.force === true });
      const shards = [];
      for (const dir of dirs) shards.push(await readShard(dir));
      const run = mergeShards(shards);
      const onNote = options.quiet === true ? undefined : (message: string) => void process.stderr.write(`mmubench: ${message}\n`);
      await writeReport(options.out, run, { force: options.force === true, onNote });
      const failed = run.outcomes.filter((o) => !o.ok).length;
      if (!options.quiet) process.stdout.write(`mmubench: merged ${shards.length} shards, ${run.outcomes.length} cells, report in ${options.out}\n`);
      setExit(failed > 0 ? EXIT_FAILED : EXIT_OK);
    });
}
