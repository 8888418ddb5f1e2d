/** Piscina worker entry of `--threads per-vcpu`: replays one vCPU's stream per task. Never renders charts. */
import { replayVcpu } from './replayVcpu.js';
import type { VcpuOutcome, VcpuTask } from './perVcpuCell.js';

export default function perVcpuWorker(task: VcpuTask): VcpuOutcome {
  return replayVcpu(task);
}
