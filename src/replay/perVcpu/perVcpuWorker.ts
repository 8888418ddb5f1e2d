/**
 * Piscina worker entry of `--threads per-vcpu`: replays one vCPU's stream per
 * task. Never renders charts. Tests wrap it (test/helpers/faultyVcpuWorker.mjs,
 * passed as `runPerVcpu`'s `workerUrl`) to make a vCPU's worker die or hang.
 */
import type { VcpuOutcome, VcpuTask } from './perVcpuCell.js';
import { replayVcpu } from './replayVcpu.js';

export default function perVcpuWorker(task: VcpuTask): VcpuOutcome {
  return replayVcpu(task);
}
