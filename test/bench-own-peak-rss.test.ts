/**
 * The bench's children report their own peak RSS (bench/ownPeakRss.ts), not
 * the peak Linux carries over from the process that spawned them: a child
 * of this test process, grown by 256 MiB first, reads about 40-60 MB with
 * `ownPeakRssKb`, while its `process.resourceUsage().maxRSS` says at least
 * the 256 MiB (what csv-stream quoted when it ran after another suite).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/runCli.js';

const HELPER = pathToFileURL(join(REPO_ROOT, 'dist', 'bench', 'ownPeakRss.js')).href;

describe.runIf(process.platform === 'linux')('bench child peak RSS', () => {
  it('is the child’s own, not the parent’s at the fork', () => {
    const grown = new Float64Array(32 * 2 ** 20).fill(1); // 256 MiB, touched
    const child = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `import { ownPeakRssKb } from '${HELPER}'; console.log(ownPeakRssKb(), process.resourceUsage().maxRSS);`],
      { encoding: 'utf8' },
    );
    expect(child.status, child.stderr).toBe(0);
    const [own, inherited] = child.stdout.trim().split(' ').map(Number);
    expect(grown[grown.length - 1]).toBe(1);
    expect(inherited).toBeGreaterThan(256 * 1024); // KiB: the parent's pages at the fork
    expect(own).toBeLessThan(128 * 1024); // a bare node is about 40-60 MB
  });
});
