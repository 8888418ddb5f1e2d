/**
 * The README's `run` flag tables give each flag's default; src/defaults.ts
 * holds them (one place). Every row whose default column starts with a
 * value in backquotes (`` `2m` ``, `` `auto` (x86 on, arm64 off) ``) must name
 * the value `DEFAULTS` has for that flag.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/defaults.js';
import { readmeSection } from './helpers/readmeSection.js';

/** Flags whose `DEFAULTS` key is not the flag in camel case. */
const KEY_OF: Readonly<Record<string, string>> = { '--trace-memory': 'traceMemoryMb' };

function keyOf(flag: string): string {
  return KEY_OF[flag] ?? flag.slice(2).replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

describe('the README run flags', () => {
  it('give the default src/defaults.ts holds for every flag with one', () => {
    const defaults = DEFAULTS as Readonly<Record<string, unknown>>;
    const rows = [...readmeSection('run').matchAll(/^\| `(--[a-z0-9-]+)[^|]*\|[^|]*\| `([^`]+)`/gm)];
    const compared = rows.filter(([, flag]) => keyOf(flag) in defaults).map(([, flag, documented]) => [flag, documented]);
    // Most flags of the matrix: the test must not pass by finding none.
    expect(compared.length).toBeGreaterThanOrEqual(20);
    expect(compared).toEqual(compared.map(([flag]) => [flag, String(defaults[keyOf(flag)])]));
  });
});
