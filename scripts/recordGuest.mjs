// What `mmubench record` needs, installed by the project's setup
// (`npm run setup -- --record`, or `mmubench record` on first use):
//   1. Debian packages qemu-system-x86 (QEMU with TCG and the plugin API),
//      busybox-static and cpio, through apt-get as root; otherwise it prints
//      the command to run and fails.
//   2. Debian's cloud kernel: `apt-get download linux-image-6.1.0-N-cloud-amd64`
//      (the version linux-image-cloud-amd64 depends on) and `dpkg -x` into
//      native/build/guest/; nothing is installed into /boot.
//   3. The initramfs native/build/guest/initrd.cpio: busybox and
//      native/guest/init (newc, `cpio --reproducible`, files in sorted order).
//   4. The plugin native/build/libmmutrace.so (native/build.mjs).
// Node builtins only. Each step is skipped when its output is up to date.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

export const RECORD_PACKAGES = ['qemu-system-x86', 'busybox-static', 'cpio'];
const KERNEL_META = 'linux-image-cloud-amd64';

/** Missing Debian packages of `names`. */
function missing(names) {
  return names.filter((name) => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format field, not a template
    const status = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return status.status !== 0 || !status.stdout.includes('install ok installed');
  });
}

/**
 * Set up the record guest under `root`. `say` prints a setup line. Returns
 * undefined when done, else the reason it could not (the caller exits 1).
 */
export function setupRecordGuest(root, say) {
  const run = (command, args, options = {}) => {
    const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], ...options });
    return result.status === 0 ? undefined : `"${command} ${args.join(' ')}" failed (exit ${result.status ?? result.signal})`;
  };
  if (spawnSync('dpkg-query', ['--version']).status !== 0) {
    return `not a Debian system: install QEMU (qemu-system-x86_64 with plugin support), a static busybox and cpio, and pass --kernel and --initrd`;
  }
  // 1. Packages.
  const absent = missing(RECORD_PACKAGES);
  if (absent.length > 0) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!isRoot) return `missing Debian packages for mmubench record; install them, then run again:\n  sudo apt-get install -y ${absent.join(' ')}`;
    say(`installing ${absent.join(' ')} for mmubench record`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const failure = run('apt-get', ['update'], { env }) ?? run('apt-get', ['install', '-y', '--no-install-recommends', ...absent], { env });
    if (failure) return failure;
  }
  const guest = join(root, 'native', 'build', 'guest');
  mkdirSync(guest, { recursive: true });
  // 2. The kernel, from Debian's package, unpacked into the cache folder.
  const kernel = join(guest, 'vmlinuz');
  if (!existsSync(kernel)) {
    const depends = spawnSync('apt-cache', ['depends', KERNEL_META], { encoding: 'utf8' });
    const name = /Depends: (linux-image-\S+)/.exec(depends.stdout ?? '')?.[1];
    if (name === undefined) return `apt-cache knows no ${KERNEL_META} (run apt-get update as root)`;
    const work = mkdtempSync(join(guest, 'kernel.tmp-'));
    try {
      say(`apt-get download ${name} (Debian's kernel for the record guest, into native/build/guest/)`);
      const failure = run('apt-get', ['download', name], { cwd: work });
      if (failure) return failure;
      const deb = readdirSync(work).find((file) => file.endsWith('.deb'));
      if (deb === undefined) return `apt-get download ${name} left no .deb`;
      const unpack = run('dpkg', ['-x', deb, 'x'], { cwd: work });
      if (unpack) return unpack;
      const image = readdirSync(join(work, 'x', 'boot')).find((file) => file.startsWith('vmlinuz-'));
      if (image === undefined) return `${deb} has no boot/vmlinuz-*`;
      writeFileSync(join(guest, 'kernel.txt'), `${deb}\n`);
      copyFileSync(join(work, 'x', 'boot', image), `${kernel}.tmp`);
      renameSync(`${kernel}.tmp`, kernel);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  // 3. The initramfs: busybox and /init, rebuilt when /init changes.
  const initrd = join(guest, 'initrd.cpio');
  const init = join(root, 'native', 'guest', 'init');
  if (!existsSync(initrd) || statSync(initrd).mtimeMs < statSync(init).mtimeMs) {
    say('building the record guest initramfs (busybox + native/guest/init) into native/build/guest/initrd.cpio');
    const tree = mkdtempSync(join(guest, 'initrd.tmp-'));
    try {
      for (const dir of ['bin', 'dev', 'proc', 'sys', 'tmp']) mkdirSync(join(tree, dir));
      copyFileSync('/bin/busybox', join(tree, 'bin', 'busybox'));
      copyFileSync(init, join(tree, 'init'));
      chmodSync(join(tree, 'init'), 0o755);
      chmodSync(join(tree, 'bin', 'busybox'), 0o755);
      const files = ['.', 'bin', 'bin/busybox', 'dev', 'init', 'proc', 'sys', 'tmp'];
      const cpio = spawnSync('cpio', ['-o', '-H', 'newc', '--quiet', '--reproducible'], { cwd: tree, input: files.join('\n') + '\n', maxBuffer: 1 << 28 });
      if (cpio.status !== 0) return `cpio failed (exit ${cpio.status ?? cpio.signal}): ${cpio.stderr}`;
      writeFileSync(`${initrd}.tmp`, cpio.stdout);
      renameSync(`${initrd}.tmp`, initrd);
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  }
  // 4. The plugin (and the KVM runner, which build.mjs keeps up to date too).
  const build = spawnSync(process.execPath, [join(root, 'native', 'build.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0 || !existsSync(join(root, 'native', 'build', 'libmmutrace.so'))) return 'building native/build/libmmutrace.so failed (see above)';
  return undefined;
}
