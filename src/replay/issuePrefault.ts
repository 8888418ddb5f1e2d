/**
 * A pre-fault request as userspace issues it, one record per ioctl:
 * - `upstream`: KVM_PRE_FAULT_MEMORY again while it returns 0 with a range
 *   left (the loop of the selftest `pre_fault_memory_test.c`);
 * - `exact` (seed 002, RFC KVM_MAP_MEMORY): again while it returns -EAGAIN,
 *   with the range it left (`map_memory` in the RFC's selftest
 *   `map_memory_test.c`: `while (ret && errno == EAGAIN)`).
 * The deterministic replay and every per-vCPU worker issue pre-faults through here.
 */
import { EAGAIN, preFault, type PrefaultMode } from '../mmu/preFault.js';
import type { VcpuStats } from '../mmu/stats.js';
import type { Vm } from '../mmu/vm.js';
import type { PrefaultCallRecord } from './results.js';

/** Issue [gpa, gpa + sizeBytes) on `vcpu` (whose counters are `stats`); `line` is the PREFAULT row's, 0 for `--prefault`. */
export function issuePrefault(
  vm: Vm,
  mode: PrefaultMode,
  stats: VcpuStats,
  vcpu: number,
  line: number,
  gpa: number,
  sizeBytes: number,
  calls: PrefaultCallRecord[],
): void {
  const again = mode.policy === 'exact' ? -EAGAIN : 0;
  for (;;) {
    const call = preFault(vm, gpa, sizeBytes, mode, stats);
    calls.push({ vcpu, line, gpa, sizeBytes, result: call.result, remainingBytes: call.sizeBytes });
    if (call.result !== again || call.sizeBytes === 0) return;
    gpa = call.gpa;
    sizeBytes = call.sizeBytes;
  }
}
