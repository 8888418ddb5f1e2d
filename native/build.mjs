#!/usr/bin/env node
// Builds native/build/kvm-runner from native/kvm-runner/*.c when the binary is
// missing or older than any of its sources:
//   cc -O2 -Wall -Wextra -o native/build/kvm-runner native/kvm-runner/*.c
// Node builtins only (it runs from scripts/setup.mjs, before dependencies).
// Exit 0 when the binary is up to date; 1, with the reason on stderr, when no
// C compiler is found or the build fails. `mmubench validate` runs it too.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = join(here, 'kvm-runner');
const sources = readdirSync(sourceDir)
  .filter((name) => name.endsWith('.c'))
  .sort()
  .map((name) => join(sourceDir, name));
const inputs = readdirSync(sourceDir)
  .filter((name) => /\.[ch]$/.test(name))
  .map((name) => join(sourceDir, name));
const output = join(here, 'build', 'kvm-runner');

function say(message) {
  process.stderr.write(`native/build.mjs: ${message}\n`);
}

// 1. Up to date? Nothing to do.
const newestSource = Math.max(...inputs.map((path) => statSync(path).mtimeMs));
if (existsSync(output) && statSync(output).mtimeMs >= newestSource) process.exit(0);

// 2. A C compiler: $CC, else cc, gcc, clang.
const candidates = [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean);
const compiler = candidates.find((cc) => spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0);
if (compiler === undefined) {
  say(
    `no C compiler found (tried ${candidates.join(', ')}): install one (Debian: apt-get install build-essential) to build kvm-runner for \`mmubench validate\``,
  );
  process.exit(1);
}

// 3. Compile to a temporary name, then rename: a failed build never leaves a stale binary behind.
mkdirSync(join(here, 'build'), { recursive: true });
const temp = `${output}.tmp-${process.pid}`;
const args = ['-O2', '-Wall', '-Wextra', '-o', temp, ...sources];
say(`${compiler} -O2 -Wall -Wextra -o native/build/kvm-runner native/kvm-runner/*.c`);
const result = spawnSync(compiler, args, { stdio: ['ignore', 'inherit', 'inherit'] });
if (result.status !== 0) {
  rmSync(temp, { force: true });
  say(`compiling kvm-runner failed (exit ${result.status ?? result.signal})`);
  process.exit(1);
}
renameSync(temp, output);
