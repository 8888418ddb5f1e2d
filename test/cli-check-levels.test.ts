/**
 * `mmubench check-levels` on the real kvmmmu capture: the kernel mapped each
 * of the 300 written pages at 4K (shadow paging over 4K guest page tables,
 * anonymous 4K host memory). The model agrees when its scenario says the
 * same (4K backing, or dirty logging on), and reports every page when it
 * would map 2M (THP backing). Exit codes: 0 agree, 1 any differ, 2 bad input.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, tempDir } from './helpers/runCli.js';

const CAPTURE = 'test/fixtures/ftrace-kvmmmu-shadow-4k.txt';

describe('mmubench check-levels', () => {
  it('agrees on all 300 GFNs with --backing 4k: exit 0, one table row per GFN', () => {
    const result = runCli(['check-levels', CAPTURE, '--gpa-below', '0x40000000', '--backing', '4k']);
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'scenario: x86-tdp max=1g backing=4k prefault=none tlb=1536x12',
      'gfn      kernel  model  verdict  event                   line',
      '0xe79f   4k      4k     agree    kvm_mmu_spte_requested  29',
    ]);
    expect(lines).toHaveLength(2 + 300 + 1);
    expect(lines[302]).toBe('summary: 300 GFNs, 300 agree, 0 differ');
  });

  it('reports every GFN where the model maps 2M (THP backing): exit 1, with a per-level breakdown', () => {
    const result = runCli(['check-levels', CAPTURE, '--gpa-below', '0x40000000', '--backing', '4k,2m', '--diff-only']);
    expect(result.status, result.stderr).toBe(1);
    const lines = result.stdout.trim().split('\n');
    // The 4k scenario: header only, nothing differs.
    expect(lines.slice(0, 3)).toEqual([
      'scenario: x86-tdp max=1g backing=4k prefault=none tlb=1536x12',
      'gfn  kernel  model  verdict  event  line',
      'summary: 300 GFNs, 300 agree, 0 differ',
    ]);
    expect(lines.slice(3, 6)).toEqual([
      'scenario: x86-tdp max=1g backing=2m prefault=none tlb=1536x12',
      'gfn      kernel  model  verdict  event                   line',
      '0xe79f   4k      2m     DIFFER   kvm_mmu_spte_requested  29',
    ]);
    expect(lines[lines.length - 1]).toBe('summary: 300 GFNs, 0 agree, 300 differ (kernel 4k / model 2m: 300)');
  });

  it('agrees again with a --vm layout whose slot logs dirty pages (4K only), even over THP', () => {
    const vm = join(tempDir(), 'vm.json');
    writeFileSync(vm, JSON.stringify({ memslots: [{ gpa: '0x0', size: '0x40000000', dirtyLogging: true }] }));
    const result = runCli(['check-levels', CAPTURE, '--gpa-below', '0x40000000', '--vm', vm, '--diff-only']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n').pop()).toBe('summary: 300 GFNs, 300 agree, 0 differ');
  });

  it('without --gpa-below also compares the guest code page 0x40000, in a default slot of 2 GiB', () => {
    const result = runCli(['check-levels', CAPTURE, '--backing', '4k']);
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[2]).toBe('0x40000  4k      4k     agree    kvm_mmu_spte_requested  18');
    expect(lines[lines.length - 1]).toBe('summary: 301 GFNs, 301 agree, 0 differ');
  });

  it('a capture without level events is bad input: exit 2, one line', () => {
    expectOneLineError(
      runCli(['check-levels', 'test/fixtures/lackey-tiny.log']),
      'test/fixtures/lackey-tiny.log: no kvm_mmu_set_spte, kvm_mmu_spte_requested or kvm_tdp_mmu_spte_changed event to compare (enable the kvmmmu events, docs/importing.md)',
    );
  });
});
