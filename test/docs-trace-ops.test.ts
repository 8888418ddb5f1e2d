/**
 * docs/trace-format.md's Ops table gives every op of src/trace/ops.ts with
 * its code (binary traces store the code, so a wrong one in the document
 * would mislead whoever writes a converter), in code order, and no other.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OP_NAMES } from '../src/trace/ops.js';

const DOC = readFileSync(new URL('../docs/trace-format.md', import.meta.url), 'utf8');

describe('docs/trace-format.md', () => {
  it('lists every op with its code, in code order', () => {
    const section = DOC.slice(DOC.indexOf('\n## Ops\n'), DOC.indexOf('\n### ', DOC.indexOf('\n## Ops\n')));
    const rows = [...section.matchAll(/^\| (\d+) \| `([A-Z_]+)` \|/gm)].map((m) => [Number(m[1]), m[2]]);
    const ops = OP_NAMES.flatMap((name, code) => (name === '' ? [] : [[code, name]]));
    expect(rows).toEqual(ops);
  });
});
