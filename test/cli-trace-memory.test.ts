/**
 * `run --trace-memory MIB`: a bad value is one line and exit 2 before any
 * trace is read, with no report folder; 0 (every trace streams) is a valid
 * value.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, tempDir } from './helpers/runCli.js';

const TRACE = join(REPO_ROOT, 'traces', 'host-events.csv');

describe('run --trace-memory', () => {
  it('refuses a value that is not a number of MiB from 0 to 1048576: one line, exit 2, no report', () => {
    for (const value of ['-1', 'lots', '', '2000000']) {
      const out = join(tempDir(), 'report');
      const result = runCli(['run', TRACE, '--out', out, '--prefault', 'none', '--trace-memory', value, '-q']);
      expect(result.status, value).toBe(2);
      expect(result.stderr).toBe(`mmubench: --trace-memory: "${value}" is not a number of MiB from 0 to 1048576\n`);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('takes 0: every trace streams', () => {
    const out = join(tempDir(), 'report');
    const result = runCli(['run', TRACE, '--out', out, '--prefault', 'none', '--trace-memory', '0', '-q']);
    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(join(out, 'results.csv'))).toBe(true);
  });
});
