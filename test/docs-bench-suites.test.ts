/**
 * docs/benchmarks.md's suite table lists exactly the suites of
 * bench/suiteTable.ts, in the order `npm run bench` runs them, and says
 * which are in the default set ("yes...") and which run only when named
 * ("no..."). A suite added to the bench without its row (as `csv-stream`
 * once was) fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPT_IN, SUITES } from '../bench/suiteTable.js';

const DOC = readFileSync(new URL('../docs/benchmarks.md', import.meta.url), 'utf8');

describe('docs/benchmarks.md', () => {
  it('lists every bench suite in run order, with whether it is in the default set', () => {
    // Rows `| \`name\` | measures | unit | in the default set |`; the last cell starts with yes or no.
    const rows = [...DOC.matchAll(/^\| `([a-z-]+)` \|[^|]*\|[^|]*\| (yes|no)\b[^|]*\|$/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(Object.keys(SUITES).map((name) => [name, OPT_IN.has(name) ? 'no' : 'yes']));
  });
});
