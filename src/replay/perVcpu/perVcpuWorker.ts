/** Piscina worker entry of `--threads per-vcpu`: replays one vCPU's stream per task. Never renders charts. */
import { replayVcpu } from './replayVcpu.js';
import type { VcpuOutcome, VcpuTask } from './perVcpuCell.js';

export default function perVcpuWorker(task: VcpuTask): VcpuOutcome {
  injectFault(task);
  return replayVcpu(task);
}

/**
 * Test-only fault injection, as src/replay/worker.ts: MMUBENCH_TEST_FAULT=KIND:TRACE
 * makes vCPU 1's worker of TRACE exit (`exit`) or never return (`hang`), so
 * the cell fails while its vCPU 0 is still replaying. Unset in every real run.
 */
function injectFault(task: VcpuTask): void {
  const spec = process.env.MMUBENCH_TEST_FAULT;
  if (!spec || task.vcpu !== 1) return;
  const [kind, target] = spec.split(':');
  if (target !== task.traceName) return;
  if (kind === 'exit') process.exit(3);
  if (kind === 'hang') for (;;);
}
