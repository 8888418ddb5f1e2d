#!/usr/bin/env node
// Installs what `npm test`, `npm run nightly` and `npm run bench` need, only when it is missing:
//   1. Debian packages that node-canvas (behind chartjs-node-canvas) builds against, via apt-get
//      when running as root; otherwise it prints the command to run by hand and exits 1.
//   2. The npm dependencies (`npm ci`) when node_modules is absent or older than package-lock.json.
//   3. The native KVM runner for `mmubench validate`, the QEMU plugin and the bench's C reference
//      (bench/cref/, the `vs-c` suite) with the system C compiler (native/build.mjs);
//      when it cannot be built, it says so and goes on.
//   4. Debian's chromium for the browser test of the HTML report, when running tests as root; optional.
//   5. With --record (`npm run setup -- --record`; `mmubench record` runs it on first use): QEMU,
//      busybox-static, cpio, Debian's kernel and the guest initramfs, and the QEMU plugin
//      (scripts/recordGuest.mjs).
// Node builtins only: it runs before any dependency is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { setupRecordGuest } from './recordGuest.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEBIAN_PACKAGES = ['build-essential', 'pkg-config', 'libcairo2-dev', 'libpango1.0-dev', 'libjpeg-dev', 'libgif-dev', 'librsvg2-dev'];

function say(message) {
  process.stderr.write(`setup: ${message}\n`);
}

function fail(message) {
  say(message);
  process.exit(1);
}

function run(command, args) {
  say(`${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) fail(`"${command} ${args.join(' ')}" failed (exit ${result.status ?? result.signal})`);
}

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) fail(`Node.js >= 20 is required, this is ${process.version}`);

// 3. The KVM runner of `mmubench validate` (native/kvm-runner/), with the system C compiler
//    (build-essential, step 1). Optional: without it everything else works, and validate skips
//    saying how to build it. native/build.mjs does nothing when the binary is up to date.
function buildKvmRunner() {
  const build = spawnSync(process.execPath, [join(root, 'native', 'build.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) {
    say(
      'a native helper (native/kvm-runner/, native/qemu-plugin/, bench/cref/) was not built: `mmubench validate`, `record` and the `vs-c` bench suite need them (install a C compiler, then run `node native/build.mjs`); continuing',
    );
  }
}

// 4. Debian's chromium, for the browser test of index.html (test/report-html-chromium.test.ts), when
//    tests are what runs (npm test, npm run test:deep, npm run setup) and we are root on Debian.
//    Optional: the test skips with a message without it. Never a browser download.
function installChromiumForTests() {
  const event = process.env.npm_lifecycle_event;
  if (event !== undefined && !['pretest', 'test:deep', 'setup'].includes(event)) return;
  if (existsSync('/usr/bin/chromium') || spawnSync('dpkg-query', ['--version']).status !== 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    say('chromium is not installed: the browser test of index.html will be skipped (to run it: sudo apt-get install -y chromium)');
    return;
  }
  say("installing Debian's chromium for the browser test of index.html");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const result = spawnSync('apt-get', args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (result.status !== 0) {
      say(`"apt-get ${args.join(' ')}" failed: the browser test of index.html will be skipped; continuing`);
      return;
    }
  }
}
installChromiumForTests();

// 5. The record guest, only when asked for.
if (process.argv.includes('--record')) {
  const problem = setupRecordGuest(root, say);
  if (problem !== undefined) fail(problem);
}

const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
const canvasAddon = join(root, 'node_modules', 'canvas', 'build', 'Release', 'canvas.node');
const npmUpToDate = existsSync(installed) && existsSync(canvasAddon) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs;
if (npmUpToDate) {
  buildKvmRunner();
  process.exit(0);
}

// 1. System libraries for node-canvas (no prebuilt binary can be downloaded here).
function missingDebianPackages() {
  const missing = [];
  for (const name of DEBIAN_PACKAGES) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${Status} is dpkg-query's own format syntax
    const status = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    if (status.status !== 0 || !status.stdout.includes('install ok installed')) missing.push(name);
  }
  return missing;
}
const hasDpkg = spawnSync('dpkg-query', ['--version']).status === 0;
if (hasDpkg) {
  const missing = missingDebianPackages();
  if (missing.length > 0) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!isRoot) {
      fail(`missing Debian packages for node-canvas; install them, then run again:\n  sudo apt-get install -y ${missing.join(' ')}`);
    }
    process.env.DEBIAN_FRONTEND = 'noninteractive';
    run('apt-get', ['update']);
    run('apt-get', ['install', '-y', '--no-install-recommends', ...missing]);
  }
} else {
  say('not a Debian system: make sure cairo, pango, libjpeg, giflib and librsvg development files and a C++ compiler are installed');
}

// 2. npm dependencies, exactly as locked.
try {
  execFileSync('npm', ['--version'], { stdio: 'ignore' });
} catch {
  fail('npm is not on PATH');
}
run('npm', ['ci', '--no-audit', '--no-fund']);
buildKvmRunner();
