/**
 * The command table of src/cli/program.ts: each entry's module registers
 * exactly the command it is named for, and together they are the commands
 * of the program in help order. A name that did not match its module would
 * make that command load every module (still working, only slower) or, for
 * an entry registering another command, lose it from its own command line.
 */
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { COMMANDS, runProgram } from '../src/cli/program.js';

describe('the command table', () => {
  it('each entry registers one command, of its name, and all of them are the help list in order', async () => {
    const all = new Command('mmubench');
    for (const [name, load] of COMMANDS) {
      const one = new Command('mmubench');
      (await load())(one, () => undefined, {});
      expect(
        one.commands.map((c) => c.name()),
        name,
      ).toEqual([name]);
      (await load())(all, () => undefined, {});
    }
    expect(all.commands.map((c) => c.name())).toEqual([
      'run',
      'merge',
      'validate',
      'record',
      'calibrate',
      'compare',
      'convert',
      'import',
      'check-levels',
      'gen',
      'nightly',
    ]);
  });

  it('a command line names its command first: its options parse when only its module is loaded', async () => {
    // `convert` with a missing input: its own action runs and refuses the path (exit 2), not commander's "unknown command".
    let stderr = '';
    const write = process.stderr.write;
    process.stderr.write = ((text: string) => {
      stderr += text;
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await runProgram(['node', 'mmubench', 'convert', '/nonexistent/in.csv', '/tmp/out.mtr'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(stderr).toContain('/nonexistent/in.csv');
    expect(stderr).not.toContain('unknown command');
  });
});
