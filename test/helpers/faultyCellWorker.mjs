/** The cell worker (dist/src/replay/worker.js) with the fault testCli.mjs asked for (injectFault.mjs). */
import cellWorker from '../../dist/src/replay/worker.js';
import { injectFault } from './injectFault.mjs';

export default function faultyCellWorker(task) {
  injectFault(task.trace.name);
  return cellWorker(task);
}
