/**
 * A PREFAULT row on a vCPU worker: KVM_PRE_FAULT_MEMORY is a vCPU ioctl
 * (`kvm_vcpu_pre_fault_memory` -> `kvm_arch_vcpu_pre_fault_memory` ->
 * `kvm_tdp_map_page`), so it runs in parallel with the other vCPUs, each
 * step a read fault through the same cmpxchg install as a guest fault. The
 * rules follow `src/mmu/preFault.ts` (policy `upstream` only; `exact` is
 * refused in this mode, see perVcpuSupport.ts).
 */
import { Level, PAGE_SIZE_BYTES, alignGfnDown, pagesPerLevel } from '../../mmu/level.js';
import { GPA_LIMIT, gpaToGfn } from '../../mmu/address.js';
import { EINVAL, ENOENT } from '../../mmu/preFault.js';
import type { PrefaultCallRecord } from '../results.js';
import type { VmStats } from '../../mmu/stats.js';
import { Install } from './sharedPageTable.js';
import type { VcpuReplayer } from './vcpuReplayer.js';

/** Steps of one call that may lose a race before the replay gives up (a livelock would be a model bug). */
const MAX_RETRIES_PER_STEP = 10_000;

/** Frames this vCPU's own installs and zaps added (its `pages_*` deltas). */
function ownFrames(s: VmStats): number {
  return s.pages_4k + s.pages_2m * 512 + s.pages_1g * 512 * 512;
}

/**
 * Issue the ioctl again while it returns 0 with a range left, as userspace
 * does (replayCell's `issuePrefault`), appending one record per call.
 */
export function prefaultOnVcpu(replayer: VcpuReplayer, line: number, gpa: number, sizeBytes: number, calls: PrefaultCallRecord[]): void {
  for (;;) {
    const call = prefaultCall(replayer, gpa, sizeBytes);
    calls.push({ vcpu: replayer.vcpu, line, gpa, sizeBytes, result: call.result, remainingBytes: call.sizeBytes });
    if (call.result !== 0 || call.sizeBytes === 0) return;
    gpa = call.gpa;
    sizeBytes = call.sizeBytes;
  }
}

/**
 * One ioctl, as `preFault` with the upstream policy:
 * 1. -EINVAL for an unaligned or empty range or one beyond the address space.
 * 2. Each step maps the frame at `gpa` at the fault path's level (a leaf
 *    already there, from this vCPU or another, is RET_PF_SPURIOUS: success),
 *    retrying a lost cmpxchg; then advances to the end of that mapping.
 * 3. A GPA outside every memslot stops with -ENOENT.
 * 4. 0 if any progress was made, else the step's error. `prefault_pages`
 *    counts the frames this vCPU's own installs added.
 */
function prefaultCall(replayer: VcpuReplayer, gpa: number, sizeBytes: number): { result: number; gpa: number; sizeBytes: number } {
  const stats = replayer.stats;
  stats.prefault_calls++;
  const fail = (result: number): { result: number; gpa: number; sizeBytes: number } => {
    stats.prefault_errors++;
    return { result, gpa, sizeBytes };
  };
  if (gpa % PAGE_SIZE_BYTES !== 0 || sizeBytes % PAGE_SIZE_BYTES !== 0 || sizeBytes <= 0 || gpa + sizeBytes > GPA_LIMIT) return fail(-EINVAL);
  const table = replayer.table;
  const framesBefore = ownFrames(table.stats);
  const fullSize = sizeBytes;
  let result = 0;
  while (sizeBytes > 0) {
    const gfn = gpaToGfn(gpa);
    const slot = replayer.memslots.find(gfn);
    if (slot === undefined) {
      result = -ENOENT;
      break;
    }
    let retries = 0;
    while (replayer.mapForPrefault(gfn, slot) === Install.Retry) {
      if (++retries > MAX_RETRIES_PER_STEP) throw new Error(`vCPU ${replayer.vcpu}: pre-fault of gfn 0x${gfn.toString(16)} kept losing races`);
    }
    // The leaf now mapping gfn (an UNMAP racing in between leaves the step's level unknown: advance 4K).
    const level = table.lookup(gfn) !== 0 ? table.lookupLevel : Level.L4K;
    const endGpa = (alignGfnDown(gfn, level) + pagesPerLevel(level)) * PAGE_SIZE_BYTES;
    const advance = Math.min(sizeBytes, endGpa - gpa);
    gpa += advance;
    sizeBytes -= advance;
  }
  stats.prefault_pages += ownFrames(table.stats) - framesBefore;
  if (sizeBytes === fullSize) return fail(result);
  return { result: 0, gpa, sizeBytes };
}
