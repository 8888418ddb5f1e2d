/**
 * End-to-end helpers: run the built command (dist/, `npx tsc -p
 * tsconfig.build.json` first) from the repository root, in a fresh temporary
 * folder per test, and check what a bad-input run must leave behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, onTestFinished } from 'vitest';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
/** The same command with test-only workers and engine (`--fault KIND:TRACE`, `--slow-engine`): testCli.mjs. */
export const TEST_CLI = join(REPO_ROOT, 'test', 'helpers', 'testCli.mjs');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node dist/src/cli/main.js ...args` with cwd = repository root. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): CliResult {
  return runScript(CLI, args, env);
}

/** Run `node test/helpers/testCli.mjs ...args` (leading `--fault KIND:TRACE` or `--slow-engine`, then mmubench's arguments). */
export function runTestCli(args: readonly string[]): CliResult {
  return runScript(TEST_CLI, args);
}

function runScript(script: string, args: readonly string[], env: Record<string, string> = {}): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
  const result = spawnSync(process.execPath, [script, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 50_000,
    env: { ...process.env, ...env },
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Absolute path of `test/fixtures/NAME`. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** A fresh folder under the OS temp dir, removed when the current test ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmubench-cli-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Exit 2 and exactly one stderr line: `mmubench: MESSAGE` (`prefix`: the line starts so). */
export function expectOneLineError(result: CliResult, message: string, match: 'exact' | 'prefix' = 'exact'): void {
  expect(result.status, result.stderr).toBe(2);
  expect(result.stderr.endsWith('\n'), JSON.stringify(result.stderr)).toBe(true);
  const lines = result.stderr.slice(0, -1).split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  if (match === 'exact') expect(lines[0]).toBe(`mmubench: ${message}`);
  else expect(lines[0].startsWith(`mmubench: ${message}`), lines[0]).toBe(true);
}

/** No `.NAME.tmp-*` sibling of `outDir` is left in its parent. */
export function expectNoTempFolder(outDir: string): void {
  const leftovers = readdirSync(dirname(outDir)).filter((name) => name.startsWith(`.${basename(outDir)}.tmp-`));
  expect(leftovers).toEqual([]);
}

/** A one-line exit-2 error, and no report: neither `outDir` nor a temporary sibling exists. */
export function expectBadInput(result: CliResult, outDir: string, message: string, match: 'exact' | 'prefix' = 'exact'): void {
  expectOneLineError(result, message, match);
  expect(existsSync(outDir)).toBe(false);
  expectNoTempFolder(outDir);
}
