/**
 * `--shard auto`: the shard index and total taken from the parallel-job
 * variables of the CI engine running the command, so a matrix fans out on the
 * engine's own parallelism (no scheduler of ours). Read once, at the
 * boundary; the first engine whose index variable is set wins.
 *
 * | engine | index (base) | total |
 * | --- | --- | --- |
 * | GitLab CI (`parallel: N`) | `CI_NODE_INDEX` (1-based) | `CI_NODE_TOTAL` |
 * | CircleCI (`parallelism: N`) | `CIRCLE_NODE_INDEX` (0-based) | `CIRCLE_NODE_TOTAL` |
 * | Buildkite (`parallelism: N`) | `BUILDKITE_PARALLEL_JOB` (0-based) | `BUILDKITE_PARALLEL_JOB_COUNT` |
 * | Kubernetes Indexed Job (`completionMode: Indexed`) | `JOB_COMPLETION_INDEX` (0-based) | `--shard-total N` (the Job's `completions`) |
 */
import { InputError } from '../errors.js';
import { parseShard, type Shard } from '../replay/shard.js';

interface CiShardSource {
  engine: string;
  index: string;
  /** Variable of the total; undefined: `--shard-total`. */
  total: string | undefined;
  /** Value of the index variable on the first job. */
  base: 0 | 1;
}

/** The engines `--shard auto` knows, in the order they are tried. */
export const CI_SHARD_SOURCES: readonly CiShardSource[] = [
  { engine: 'GitLab CI', index: 'CI_NODE_INDEX', total: 'CI_NODE_TOTAL', base: 1 },
  { engine: 'CircleCI', index: 'CIRCLE_NODE_INDEX', total: 'CIRCLE_NODE_TOTAL', base: 0 },
  { engine: 'Buildkite', index: 'BUILDKITE_PARALLEL_JOB', total: 'BUILDKITE_PARALLEL_JOB_COUNT', base: 0 },
  { engine: 'a Kubernetes Indexed Job', index: 'JOB_COMPLETION_INDEX', total: undefined, base: 0 },
];

/** The shard `--shard auto` stands for, and a line saying where it came from; `InputError` when no engine says. */
export function shardFromEnvironment(env: NodeJS.ProcessEnv, shardTotal: string | undefined): { shard: Shard; source: string } {
  const source = CI_SHARD_SOURCES.find((s) => env[s.index] !== undefined && env[s.index] !== '');
  if (source === undefined) {
    const names = CI_SHARD_SOURCES.map((s) => s.index).join(', ');
    throw new InputError(`--shard auto: none of ${names} is set (not a parallel CI job?); give --shard I/N`);
  }
  const indexText = env[source.index] ?? '';
  const totalText = source.total === undefined ? shardTotal : env[source.total];
  if (totalText === undefined || totalText === '') {
    const wanted = source.total === undefined ? '--shard-total N (the Job’s completions)' : source.total;
    throw new InputError(`--shard auto: ${source.index} is set (${source.engine}) but ${wanted} is not`);
  }
  if (!/^[0-9]+$/.test(indexText)) throw new InputError(`--shard auto: ${source.index}="${indexText}" is not a whole number`);
  const index = Number(indexText) + 1 - source.base;
  const shard = parseShard(`${index}/${totalText}`);
  const totalFrom = source.total === undefined ? `--shard-total ${totalText}` : `${source.total}=${totalText}`;
  return { shard, source: `--shard auto: shard ${shard.index}/${shard.count} from ${source.engine} (${source.index}=${indexText}, ${totalFrom})` };
}
