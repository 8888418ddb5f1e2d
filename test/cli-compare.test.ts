import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runToJson, type RunModel } from '../src/report/runJson.js';
import { expectOneLineError, runCli, tempDir } from './helpers/runCli.js';
import { runOf, tinyCell, withTotals } from './helpers/runModels.js';

/** A report folder holding only run.json (all compare reads). */
function reportDir(parent: string, name: string, run: RunModel): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run.json'), runToJson(run));
  return dir;
}

describe('mmubench compare', () => {
  it('a changed fault count exits 1, names the regression, and writes compare.md and compare.html to --out', async () => {
    const tmp = tempDir();
    const cell = await tinyCell('4k');
    const base = reportDir(tmp, 'base', runOf([cell]));
    const current = reportDir(tmp, 'current', runOf([withTotals(cell, { faults: 4 })]));
    const out = join(tmp, 'cmp');
    const result = runCli(['compare', base, current, '--out', out]);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toContain(`REGRESSION count tiny / ${cell.scenario.name}: faults 3 -> 4 (+1, +33.3%)`);
    expect(readFileSync(join(out, 'compare.md'), 'utf8')).toContain(
      '| tiny | x86-tdp max=1g backing=4k prefault=none tlb=1536x12 | faults | lower | 3 | 4 | +1 | +33.3% | REGRESSION |',
    );
    expect(existsSync(join(out, 'compare.html'))).toBe(true);
    // --fail-on none: the same change is reported, the exit is 0.
    expect(runCli(['compare', base, current, '--out', out, '--fail-on', 'none', '-q']).status).toBe(0);
  });

  it('identical runs exit 0 and write the comparison into the current folder by default', async () => {
    const tmp = tempDir();
    const cell = await tinyCell('4k');
    const base = reportDir(tmp, 'base', runOf([cell]));
    const current = reportDir(tmp, 'current', runOf([cell]));
    const result = runCli(['compare', base, current]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('compare base -> current: No regression (exit 0)');
    expect(existsSync(join(current, 'compare.md'))).toBe(true);
  });

  it('a folder without run.json, or a malformed one, exits 2 naming the file', async () => {
    const tmp = tempDir();
    const good = reportDir(tmp, 'good', runOf([await tinyCell('4k')]));
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    expectOneLineError(runCli(['compare', empty, good]), `${join(empty, 'run.json')}: no such file (is ${empty} a report folder?)`);
    const broken = join(tmp, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'run.json'), '{"tool": "mmubench", "cells": [{"ok": true, "trace": "t"}]}');
    expectOneLineError(runCli(['compare', good, broken]), `${join(broken, 'run.json')}: cells[0]: no scenario name`);
    expectOneLineError(runCli(['compare', good, good, '--alpha', '5']), '--alpha: "5" is not a number between 0 and 1 (exclusive)');
  });
});
