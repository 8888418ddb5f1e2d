/**
 * The `--threads per-vcpu` worker (dist/src/replay/perVcpu/perVcpuWorker.js) with the fault
 * testCli.mjs asked for, on vCPU 1 only: the cell fails while its vCPU 0 is still replaying.
 */
import perVcpuWorker from '../../dist/src/replay/perVcpu/perVcpuWorker.js';
import { injectFault } from './injectFault.mjs';

export default function faultyVcpuWorker(task) {
  if (task.vcpu === 1) injectFault(task.traceName);
  return perVcpuWorker(task);
}
