/** `mmubench validate` end to end (built CLI in dist/: `npx tsc -p tsconfig.build.json` first). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectBadInput, expectNoTempFolder, expectOneLineError, runCli, tempDir } from './helpers/runCli.js';
import { KVM, announceKvmSkip } from './helpers/kvmAvailability.js';

announceKvmSkip('validate-cli');

function traceFile(dir: string, text: string): string {
  const path = join(dir, 'seq.csv');
  writeFileSync(path, text);
  return path;
}

const SEQ = 'vcpu,op,gpa,size\n' + Array.from({ length: 16 }, (_, i) => `0,W,0x${(0x10000 + i * 4096).toString(16)},8`).join('\n') + '\n';

describe('mmubench validate: bad input (exit 2)', () => {
  it('an arch other than x86-tdp', () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    expectBadInput(
      runCli(['validate', traceFile(dir, SEQ), '--arch', 'arm64', '--out', out]),
      out,
      '--arch: validate compares with this host\'s x86 KVM, so only x86-tdp (got "arm64")',
    );
  });

  it('more than one scenario', () => {
    const dir = tempDir();
    expectOneLineError(
      runCli(['validate', traceFile(dir, SEQ), '--backing', '4k,2m']),
      'validate runs one scenario: give one value per flag (got 2 scenarios)',
    );
  });

  it('a row a real guest cannot run, located', () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const path = traceFile(dir, 'vcpu,op,gpa,size\n0,R,0x1000,8\n0,WRPROTECT,0x0,0x1000\n');
    expectBadInput(runCli(['validate', path, '--out', out]), out, `${path}:3: column op: WRPROTECT cannot be made to happen in a real guest`, 'prefix');
  });
});

describe.skipIf(!KVM.ok)('mmubench validate on /dev/kvm', () => {
  it('16 pages written: agreement, exit 0, table on stdout, three files in --out', () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const result = runCli(['validate', traceFile(dir, SEQ), '--backing', '4k', '--max-level', '4k', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/faults_missing \+ faults_permission +16 +16 +pf_fixed +agree/);
    expect(result.stdout).toMatch(/\nOK: /);
    const csv = readFileSync(join(out, 'validation.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('trace,scenario,modelled_as,host_backing,model_counter,kvm_statistic,model,kernel,status,note');
    expect(csv).toContain(',faults_missing + faults_permission,pf_fixed,16,16,agree,');
    expect(existsSync(join(out, 'validation.md'))).toBe(true);
    expect(readFileSync(join(out, 'validation.html'), 'utf8')).toContain('<td>pages_4k</td><td class="n">16</td><td class="n">16</td>');
    expectNoTempFolder(out);
  });
});
