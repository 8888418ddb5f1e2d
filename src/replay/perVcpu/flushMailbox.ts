/**
 * The `FlushSink` of a per-vCPU worker, built on `FlushRequests`: a flush the
 * worker's VM requests is planned and counted by the arch's flush policy
 * exactly as the deterministic engine counts it (`FlushPolicy.planAndCount`),
 * carried out at once on this vCPU's own TLB (as the faulting vCPU services
 * KVM_REQ_TLB_FLUSH before it re-enters the guest), and posted to every
 * other vCPU (`kvm_make_all_cpus_request(kvm, KVM_REQ_TLB_FLUSH)`), which
 * services it before its next access (`service`).
 */
import type { Vm } from '../../mmu/vm.js';
import type { FlushOrigin, FlushSink } from '../../mmu/vmOptions.js';
import { newFlushPlan, type FlushPolicy } from '../../tlb/flushPolicy.js';
import type { VcpuAccessPath } from '../vcpuAccessPath.js';
import { newTakenRequests, type FlushRequests } from './flushRequests.js';

export class FlushMailbox implements FlushSink {
  /** Flush requests that found this vCPU's mailbox full (became full flushes). */
  overflows = 0;
  /** This vCPU's request word, for a hot loop to load itself (`Atomics.load(word, 0) !== 0`: a request is pending). */
  readonly requestWord: Int32Array;
  private readonly plan = newFlushPlan();
  private readonly taken = newTakenRequests();
  private vm: Vm | undefined;
  private path: VcpuAccessPath | undefined;

  constructor(
    private readonly requests: FlushRequests,
    private readonly vcpu: number,
    private readonly policy: FlushPolicy,
  ) {
    this.requestWord = requests.requestWord(vcpu);
  }

  /** The worker's VM (whose stats count the flushes) and this vCPU's access path; before any flush. */
  attach(vm: Vm, path: VcpuAccessPath): void {
    this.vm = vm;
    this.path = path;
  }

  requestFlush(startGfn: number, endGfn: number, alias: number, origin: FlushOrigin): void {
    const vm = this.vm!;
    const plan = this.plan;
    const vcpuCount = this.requests.vcpuCount;
    this.policy.planAndCount(startGfn, endGfn, alias, origin, plan, vm.stats, vcpuCount);
    this.path!.flush(plan.full, plan.ranges, plan.rangeCount, plan.requested, 1, vm.stats);
    const requestedStart = plan.requested[0];
    const requestedEnd = plan.requested[1];
    for (let v = 0; v < vcpuCount; v++) {
      if (v === this.vcpu) continue;
      if (plan.full) this.requests.post(v, true, requestedStart, requestedEnd, requestedStart, requestedEnd);
      for (let r = 0; r < plan.rangeCount; r++) this.requests.post(v, false, plan.ranges[r * 2], plan.ranges[r * 2 + 1], requestedStart, requestedEnd);
    }
  }

  /**
   * `kvm_check_request(KVM_REQ_TLB_FLUSH)`: take every request pending for
   * this vCPU and flush once. Requests made before the vCPU looks coalesce
   * into one flush, as a request bit does.
   */
  service(): void {
    if (!this.requests.pending(this.vcpu)) return;
    const taken = this.taken;
    this.requests.take(this.vcpu, taken);
    if (taken.overflowed) this.overflows++;
    this.path!.flush(taken.full, taken.drop, taken.count, taken.requested, taken.count, this.vm!.stats);
  }
}
