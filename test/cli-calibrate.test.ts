/**
 * `mmubench calibrate`: bad flags exit 2 and write nothing; on this machine's
 * /dev/kvm, the file has the documented shape (skipped, with why, where
 * there is no usable KVM).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, runCli, tempDir } from './helpers/runCli.js';
import { KVM, announceKvmSkip } from './helpers/kvmAvailability.js';
import { COST_KEYS, parseCostProfile } from '../src/replay/costProfile.js';

announceKvmSkip('cli-calibrate');

describe('mmubench calibrate', () => {
  it('bad flags: one line, exit 2, no file', () => {
    const dir = tempDir();
    const out = join(dir, 'costs.json');
    for (const [args, message] of [
      [['--runs', '0'], '--runs: "0" is not an integer from 1 to 100'],
      [['--runs', 'x'], '--runs: "x" is not an integer from 1 to 100'],
      [['--runs', '101'], '--runs: "101" is not an integer from 1 to 100'],
    ] as const) {
      const r = runCli(['calibrate', '--out', out, ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toBe(`mmubench: ${message}\n`);
    }
    const noFolder = runCli(['calibrate', '--out', join(dir, 'missing', 'costs.json')]);
    expect([noFolder.status, noFolder.stderr]).toEqual([2, `mmubench: --out: folder ${join(dir, 'missing')} does not exist\n`]);
    expect(runCli(['calibrate']).status).toBe(2); // --out is required
    expect(existsSync(out)).toBe(false);
  });

  // A private, empty /dev in a mount namespace (root and util-linux unshare only): no /dev/kvm.
  const canUnshare = spawnSync('unshare', ['-m', 'true']).status === 0;
  it.skipIf(!canUnshare)('without /dev/kvm: says why, exits 1, writes nothing', () => {
    const out = join(tempDir(), 'costs.json');
    const script = `mount -t tmpfs none /dev && : > /dev/null && exec "${process.execPath}" "${CLI}" calibrate --out "${out}" -q`;
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'mmubench: calibrate: cannot measure on this host: /dev/kvm does not exist (no KVM: load kvm_intel or kvm_amd, or run on a host with virtualization); nothing written\n',
    );
    expect(existsSync(out)).toBe(false);
  });

  it.skipIf(!KVM.ok)(
    'writes a cost profile with the spread of each measurement (this host)',
    () => {
      const dir = tempDir();
      const out = join(dir, 'costs.json');
      const r = runCli(['calibrate', '--out', out, '--runs', '2', '-q']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const file = JSON.parse(readFileSync(out, 'utf8'));
      expect(file).toMatchObject({ tool: 'mmubench', kind: 'cost-profile', runs: 2 });
      expect(Object.keys(file.costs)).toEqual([...COST_KEYS]);
      // The four measured on every x86 KVM host; each a spread over the 2 runs.
      for (const key of ['fault4kNs', 'writeProtectNs', 'roundTripNs', 'memslotChangeNs', 'tlbMissWalkNs']) {
        const s = file.measurements[key];
        expect(s.runs, key).toHaveLength(2);
        expect(s.min, key).toBeLessThanOrEqual(s.median);
        expect(s.median, key).toBeLessThanOrEqual(s.max);
      }
      expect(file.measurements.fault4kNs.min).toBeGreaterThan(0);
      // Pre-fault: measured where the kernel has it, else a note says why (shadow paging here).
      if (file.measurements.prefault4kNs === undefined) expect(file.notes.prefault).toMatch(/KVM_PRE_FAULT_MEMORY/);
      // run --costs reads it back unchanged.
      expect(parseCostProfile(readFileSync(out, 'utf8'), out).profile).toEqual(file.costs);
      // It refuses to overwrite without --force.
      expect(runCli(['calibrate', '--out', out, '--runs', '1', '-q']).status).toBe(2);
    },
    60_000,
  );
});
