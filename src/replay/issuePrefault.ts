/**
 * A pre-fault request as userspace issues it: KVM_PRE_FAULT_MEMORY again
 * while it returns 0 with a range left (the loop of the selftest
 * `pre_fault_memory_test.c`), one record per ioctl. The deterministic replay
 * and every per-vCPU worker issue pre-faults through here.
 */
import { preFault, type PrefaultPolicy } from '../mmu/preFault.js';
import type { VcpuStats } from '../mmu/stats.js';
import type { Vm } from '../mmu/vm.js';
import type { PrefaultCallRecord } from './results.js';

/** Issue [gpa, gpa + sizeBytes) on `vcpu` (whose counters are `stats`); `line` is the PREFAULT row's, 0 for `--prefault`. */
export function issuePrefault(
  vm: Vm,
  policy: PrefaultPolicy,
  stats: VcpuStats,
  vcpu: number,
  line: number,
  gpa: number,
  sizeBytes: number,
  calls: PrefaultCallRecord[],
): void {
  for (;;) {
    const call = preFault(vm, gpa, sizeBytes, policy, stats);
    calls.push({ vcpu, line, gpa, sizeBytes, result: call.result, remainingBytes: call.sizeBytes });
    if (call.result !== 0 || call.sizeBytes === 0) return;
    gpa = call.gpa;
    sizeBytes = call.sizeBytes;
  }
}
