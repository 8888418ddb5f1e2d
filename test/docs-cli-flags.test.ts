/**
 * Every flag of every subcommand is documented where a user looks for it:
 * in the README section of that command (`### \`mmubench NAME ...\``, its
 * heading included), or for `import` and `check-levels` in
 * docs/importing.md, by its long or its short form. The flags come from the
 * command table's own registrations (src/cli/program.ts), so a flag added
 * without its documentation fails here.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/program.js';
import { readmeSection } from './helpers/readmeSection.js';

/** Commands documented in a document of their own rather than in a README section. */
const OWN_DOC: Readonly<Record<string, string>> = {
  import: 'docs/importing.md',
  'check-levels': 'docs/importing.md',
};

function docOf(name: string): string {
  const own = OWN_DOC[name];
  return own === undefined ? readmeSection(name) : readFileSync(new URL(`../${own}`, import.meta.url), 'utf8');
}

describe('the command-line documentation', () => {
  it("names every flag of every command in that command's README section (import, check-levels: docs/importing.md)", async () => {
    const missing: string[] = [];
    for (const [name, load] of COMMANDS) {
      const program = new Command('mmubench');
      (await load())(program, () => undefined, {});
      const doc = docOf(name);
      expect(doc, `no documentation found for ${name}`).not.toBe('');
      for (const option of program.commands[0].options) {
        // The flag itself, not a longer one it begins (`--out` is not `--out-dir`); a short form (`[-q]`) names it too.
        const named = [option.long, option.short].some((flag) => flag !== undefined && new RegExp(`(?<![a-z0-9-])${flag}(?![a-z0-9-])`).test(doc));
        if (!named) missing.push(`${name} ${option.flags}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
