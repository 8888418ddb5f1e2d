#!/usr/bin/env node
// Builds the native helpers with the system C compiler when a binary is missing
// or older than any of its sources:
//   cc -O2 -Wall -Wextra -o native/build/kvm-runner native/kvm-runner/*.c          (mmubench validate)
//   cc -O2 -Wall -Wextra -shared -fPIC -fvisibility=hidden -pthread
//      -o native/build/libmmutrace.so native/qemu-plugin/*.c                        (mmubench record)
//   cc -O2 -Wall -Wextra -o native/build/cref-replay bench/cref/*.c                 (npm run bench: vs-c)
// Node builtins only (it runs from scripts/setup.mjs, before dependencies).
// Exit 0 when all are up to date; 1, with the reason on stderr, when no C
// compiler is found or a build fails. `mmubench validate` runs it too.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const TARGETS = [
  { name: 'kvm-runner', dir: 'kvm-runner', flags: ['-O2', '-Wall', '-Wextra'], use: 'mmubench validate' },
  {
    name: 'libmmutrace.so',
    dir: 'qemu-plugin',
    flags: ['-O2', '-Wall', '-Wextra', '-shared', '-fPIC', '-fvisibility=hidden', '-pthread'],
    use: 'mmubench record',
  },
  { name: 'cref-replay', dir: '../bench/cref', flags: ['-O2', '-Wall', '-Wextra'], use: 'the vs-c bench suite' },
];

function say(message) {
  process.stderr.write(`native/build.mjs: ${message}\n`);
}

let failed = false;
let compiler;
for (const target of TARGETS) {
  const sourceDir = join(here, target.dir);
  const sources = readdirSync(sourceDir)
    .filter((name) => name.endsWith('.c'))
    .sort()
    .map((name) => join(sourceDir, name));
  const inputs = readdirSync(sourceDir)
    .filter((name) => /\.[ch]$/.test(name))
    .map((name) => join(sourceDir, name));
  const output = join(here, 'build', target.name);
  // 1. Up to date? Nothing to do.
  const newestSource = Math.max(...inputs.map((path) => statSync(path).mtimeMs));
  if (existsSync(output) && statSync(output).mtimeMs >= newestSource) continue;
  // 2. A C compiler: $CC, else cc, gcc, clang.
  const candidates = [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean);
  compiler ??= candidates.find((cc) => spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0);
  if (compiler === undefined) {
    say(
      `no C compiler found (tried ${candidates.join(', ')}): install one (Debian: apt-get install build-essential) to build ${target.name} for \`${target.use}\``,
    );
    process.exit(1);
  }
  // 3. Compile to a temporary name, then rename: a failed build never leaves a stale binary behind.
  mkdirSync(join(here, 'build'), { recursive: true });
  const temp = `${output}.tmp-${process.pid}`;
  say(`${compiler} ${target.flags.join(' ')} -o native/build/${target.name} ${relative(join(here, '..'), sourceDir)}/*.c`);
  const result = spawnSync(compiler, [...target.flags, '-o', temp, ...sources], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    rmSync(temp, { force: true });
    say(`compiling ${target.name} failed (exit ${result.status ?? result.signal})`);
    failed = true;
    continue;
  }
  renameSync(temp, output);
}
process.exit(failed ? 1 : 0);
