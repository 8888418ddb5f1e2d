/**
 * The ftrace importer on each line shape (trace_pipe / trace with and without
 * the TGID column, trace-cmd report, perf script) and each kernel variant of
 * the event formats in ../shared/docs/kvm-mmu-reference.md. The lines are
 * written from those TP_printk formats (the only real capture we have is the
 * kvmmmu shadow-paging one, test import-ftrace-shadow).
 */
import { describe, expect, it } from 'vitest';
import { OP_NAMES, type Op } from '../src/trace/ops.js';
import { importFtrace } from '../src/trace/importers/ftraceImporter.js';
import { IMPORT_DEFAULTS, type ImportOptions } from '../src/trace/importers/importOptions.js';
import type { ImportSink } from '../src/trace/importers/importTypes.js';

/** Accesses as `vcpu,op,0xgpa,time@line`, level events as `level gfn=0x.. L@line event`. */
async function importText(lines: string[], options: Partial<ImportOptions> = {}) {
  const out: string[] = [];
  const sink: ImportSink = {
    access(op: Op, vcpu, gpa, _size, _input, line, timeNs) {
      out.push(`${vcpu},${OP_NAMES[op]},0x${gpa.toString(16)},${timeNs}@${line}`);
    },
    level(gfn, level, event, _input, line) {
      out.push(`level gfn=0x${gfn.toString(16)} ${level}@${line} ${event}`);
    },
  };
  const summary = await importFtrace([{ name: 'cap.txt', bytes: Buffer.from(lines.join('\n')) }], { ...IMPORT_DEFAULTS, ...options }, sink);
  return { out, summary };
}

describe('ftrace importer: x86 kvm_page_fault', () => {
  it('reads the 6.x format (vcpu, rip, 0x-prefixed address and error code) in every line shape', async () => {
    const fields = 'vcpu 1 rip 0xffffffff81000000 address 0x0000000000123000 error_code 0x6';
    const { out } = await importText([
      `       CPU 1/KVM-4243    [003] d..1. 1000.000001: kvm_page_fault: ${fields}`, // trace_pipe
      `       CPU 1/KVM-4243    (   4200) [003] d..1. 1000.000002: kvm_page_fault: ${fields}`, // trace with record-tgid
      `       CPU 1/KVM-4243  [003]  1000.000003: kvm_page_fault:       ${fields}`, // trace-cmd report
      `       CPU 1/KVM  4243 [003] 1000.000004:  kvm:kvm_page_fault: ${fields}`, // perf script
    ]);
    // error_code 0x6: PFERR bit 1 (write) -> W; vCPU from the event; time in ns from the first row.
    expect(out).toEqual(['1,W,0x123000,0@1', '1,W,0x123000,1000@2', '1,W,0x123000,2000@3', '1,W,0x123000,3000@4']);
  });

  it('reads the older format (address %lx error_code %x) with the vCPU from the task thread', async () => {
    const { out, summary } = await importText([
      ' CPU 0/KVM-4242  [000] .... 50.000000: kvm_page_fault: address 7f000 error_code 4',
      ' CPU 1/KVM-4243  [001] .... 50.000010: kvm_page_fault: address 8000 error_code 14',
      ' CPU 0/KVM-4242  [000] .... 50.000020: kvm_page_fault: address 9000 error_code 6',
    ]);
    // 0x4 (user read) -> R; 0x14 (fetch) -> X; threads get vCPUs 0, 1 in order of their first row.
    expect(out).toEqual(['0,R,0x7f000,0@1', '1,X,0x8000,10000@2', '0,W,0x9000,20000@3']);
    expect(summary.mapping).toContain('thread vCPU 0: CPU 0/KVM-4242');
    expect(summary.mapping).toContain('thread vCPU 1: CPU 1/KVM-4243');
  });

  it('reads error_code as PFERR by default and as the EPT exit qualification with --x86-error-code ept', async () => {
    const lines = [
      ' CPU 0/KVM-1 [000] .... 1.000000: kvm_page_fault: vcpu 0 rip 0x1000 address 0x5000 error_code 0x184',
      ' CPU 0/KVM-1 [000] .... 1.000001: kvm_page_fault: vcpu 0 rip 0x1000 address 0x6000 error_code 0x182',
      ' CPU 0/KVM-1 [000] .... 1.000002: kvm_page_fault: vcpu 0 rip 0x1000 address 0x7000 error_code 0x100000014',
    ];
    // 0x184: EPT bit 2 (fetch) -> X, but as PFERR neither bit 1 nor bit 4 -> R. 0x182: bit 1 -> W either way.
    // 0x100000014: PFERR_GUEST_FINAL (bit 32) | fetch -> X as PFERR; as EPT bit 2 -> X too.
    expect((await importText(lines)).out).toEqual(['0,R,0x5000,0@1', '0,W,0x6000,1000@2', '0,X,0x7000,2000@3']);
    expect((await importText(lines, { x86ErrorCode: 'ept' })).out).toEqual(['0,X,0x5000,0@1', '0,W,0x6000,1000@2', '0,X,0x7000,2000@3']);
  });
});

describe('ftrace importer: arm64 kvm_guest_fault', () => {
  it('reads IPA and ESR (EC 0x20 instruction abort -> X, EC 0x24 data abort with WnR -> W, else R), both pc widths', async () => {
    const { out } = await importText([
      ' CPU 0/KVM-900 [002] .... 7.000000: kvm_guest_fault: ipa 0x40123000, hsr 0x93c00046, hxfar 0x123000, pc 0xffff800010000000',
      ' CPU 0/KVM-900 [002] .... 7.000001: kvm_guest_fault: ipa 0x40124000, hsr 0x93c00006, hxfar 0x124000, pc 0xffff800010000004',
      ' CPU 0/KVM-900 [002] .... 7.000002: kvm_guest_fault: ipa 0x40125000, hsr 0x82000006, hxfar 0x125000, pc 0x40125000',
      ' CPU 1/KVM-901 [003] .... 7.000003: kvm_guest_fault: ipa 0x80000000, hsr 0x93c00046, hxfar 0, pc 0xffff800010000008',
    ]);
    expect(out).toEqual(['0,W,0x40123000,0@1', '0,R,0x40124000,1000@2', '0,X,0x40125000,2000@3', '1,W,0x80000000,3000@4']);
  });

  it('counts an ESR that is neither abort as not understood', async () => {
    const { out, summary } = await importText([' CPU 0/KVM-900 [002] .... 7.0: kvm_guest_fault: ipa 0x1000, hsr 0x5a000000, hxfar 0, pc 0x0']);
    expect(out).toEqual([]);
    expect(summary.skipped).toEqual([{ reason: 'hsr exception class 0x16 is not an instruction or data abort', count: 1, bad: true }]);
  });
});

describe('ftrace importer: kvmmmu level events', () => {
  it('passes set_spte, spte_requested and leaf tdp_mmu_spte_changed levels on, with fault lines as the accesses', async () => {
    const { out, summary } = await importText([
      ' CPU 0/KVM-4242 [000] .... 9.000000: kvm_page_fault: vcpu 0 rip 0x1000 address 0x0000000000200000 error_code 0x6',
      ' CPU 0/KVM-4242 [000] ...1 9.000001: kvm_mmu_spte_requested: gfn 200 pfn 1a2b3c level 2',
      ' CPU 0/KVM-4242 [000] ...1 9.000002: kvm_mmu_set_spte: gfn 200 spte 80000001a2b3c8f7 (rwxu) level 2 at 15a9c7000',
      ' CPU 0/KVM-4242 [000] ...1 9.000003: kvm_tdp_mmu_spte_changed: as id 0 gfn 200 level 2 old_spte 5a0 new_spte 80000001a2b3c8f7',
      ' CPU 0/KVM-4242 [000] ...1 9.000004: kvm_tdp_mmu_spte_changed: as id 0 gfn 200 level 2 old_spte 80000001a2b3c8f7 new_spte 5a0',
      ' CPU 0/KVM-4242 [000] ...1 9.000005: kvm_tdp_mmu_spte_changed: as id 0 gfn 0 level 3 old_spte 0 new_spte 12345e07',
    ]);
    expect(out).toEqual([
      '0,W,0x200000,0@1',
      'level gfn=0x200 2@2 kvm_mmu_spte_requested',
      'level gfn=0x200 2@3 kvm_mmu_set_spte',
      'level gfn=0x200 2@4 kvm_tdp_mmu_spte_changed',
    ]);
    // A zap (new_spte without the present bit 11) and a page-table entry (bit 7 clear above 4K) are no leaf.
    expect(summary.skipped).toEqual([{ reason: 'kvm_tdp_mmu_spte_changed that installs no leaf', count: 2, bad: false }]);
    expect(summary.levelEvents).toBe(3);
  });

  it('refuses a level other than 1, 2 or 3', async () => {
    const { summary } = await importText([' t-1 [000] .... 1.0: kvm_mmu_spte_requested: gfn 200 pfn 1 level 4']);
    expect(summary.skipped).toEqual([{ reason: 'level 4 is not 1 (4K), 2 (2M) or 3 (1G)', count: 1, bad: true }]);
  });
});

describe('ftrace importer: bad and foreign lines', () => {
  const capture = [
    '# tracer: nop',
    'cpus=2',
    ' CPU 0/KVM-1 [000] .... 1.000000: kvm_exit: reason EPT_VIOLATION rip 0x1000 info 181 0',
    'CPU:1 [LOST 12 EVENTS]',
    'garbage that is no event',
    ' CPU 0/KVM-1 [000] .... 1.000001: kvm_page_fault: vcpu 0 rip 0x1000 address 0x3000 error_code 0x4',
    ' CPU 0/KVM-1 [000] .... 1.000002: kvm_page_fault: vcpu 0 address 0x3000',
    ' CPU 0/KVM-1 [000] .... 0.500000: kvm_page_fault: vcpu 0 rip 0x1000 address 0x4000 error_code 0x4',
  ];

  it('skips and counts per reason: comments and headers left out, unknown events by name, bad lines as not understood', async () => {
    const { out, summary } = await importText(capture);
    expect(out).toEqual(['0,R,0x3000,0@6']);
    expect(summary.skipped).toEqual([
      { reason: 'comment', count: 1, bad: false },
      { reason: 'trace-cmd header', count: 1, bad: false },
      { reason: 'event not imported: kvm_exit', count: 1, bad: false },
      { reason: 'LOST EVENTS marker (the kernel dropped events)', count: 1, bad: false },
      { reason: 'not an ftrace event line (task-pid [cpu] flags timestamp: event: fields)', count: 1, bad: true },
      { reason: 'kvm_page_fault fields not in a known format', count: 1, bad: true },
      { reason: "timestamp earlier than the first row's (1.000001)", count: 1, bad: true },
    ]);
  });

  it('--strict stops at the first line it does not understand, with file:line and the line', async () => {
    await expect(importText(capture, { strict: true })).rejects.toThrow(
      'cap.txt:5: not an ftrace event line (task-pid [cpu] flags timestamp: event: fields): garbage that is no event',
    );
  });

  it('--gpa-below leaves out accesses at or above it', async () => {
    const { out, summary } = await importText(
      [
        ' CPU 0/KVM-1 [000] .... 1.000001: kvm_page_fault: vcpu 0 rip 0x1000 address 0x3000 error_code 0x4',
        ' CPU 0/KVM-1 [000] .... 1.000002: kvm_page_fault: vcpu 0 rip 0x1000 address 0x40000000 error_code 0x4',
      ],
      { gpaBelow: 0x40000000 },
    );
    expect(out).toEqual(['0,R,0x3000,0@1']);
    expect(summary.skipped).toEqual([{ reason: 'GPA at or above --gpa-below', count: 1, bad: false }]);
  });
});
