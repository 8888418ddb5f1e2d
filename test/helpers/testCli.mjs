#!/usr/bin/env node
/**
 * `mmubench` with test-only workers and engine, for the tests of the failure paths; the real
 * command is dist/src/cli/main.js, which runs the same program (src/cli/program.ts) with none of
 * this. Usage: node test/helpers/testCli.mjs [--fault KIND:TRACE] [--slow-engine] MMUBENCH-ARGS...
 *
 *   --fault KIND:TRACE  the worker replaying TRACE (vCPU 1's under --threads per-vcpu) fails:
 *                       throw, exit, oom or hang (injectFault.mjs)
 *   --slow-engine       each iteration of nightly's quick benchmark replays its trace twice: a
 *                       real and known slowdown
 *
 * It runs the build (dist/), as every CLI test does; `npm test` builds first.
 */
import { runProgram } from '../../dist/src/cli/program.js';
import { replayCell } from '../../dist/src/replay/replayCell.js';
import { FAULT_ENV, FAULT_KINDS } from './injectFault.mjs';

const args = process.argv.slice(2);
const seams = {};
while (args[0] === '--fault' || args[0] === '--slow-engine') {
  const flag = args.shift();
  if (flag === '--slow-engine') {
    seams.benchReplay = (trace, scenario, layout) => {
      replayCell(trace, scenario, layout);
      replayCell(trace, scenario, layout);
    };
    continue;
  }
  const spec = args.shift() ?? '';
  if (!FAULT_KINDS.includes(spec.split(':')[0]) || !spec.includes(':')) {
    process.stderr.write(`testCli: --fault "${spec}" is not KIND:TRACE with KIND one of ${FAULT_KINDS.join(', ')}\n`);
    process.exit(2);
  }
  process.env[FAULT_ENV] = spec; // copied into every worker thread started from now on
  seams.cellWorkerUrl = new URL('./faultyCellWorker.mjs', import.meta.url);
  seams.vcpuWorkerUrl = new URL('./faultyVcpuWorker.mjs', import.meta.url);
}
process.exitCode = await runProgram([process.argv[0], process.argv[1], ...args], seams);
