/**
 * A pool worker module that answers every task with the stack of its own evaluation: the frames
 * say how the worker loaded it (by import(), or by require() of an ES module).
 */
Error.stackTraceLimit = Infinity;
const loadStack = new Error('evaluated').stack;

export default function loadStackWorker() {
  return loadStack;
}
