#!/usr/bin/env node
/** The `mmubench` command: the command line of program.ts, with the real workers and engine. */
import { reportError, runProgram } from './program.js';

// An error outside the command's promise chain (a stream's late 'error' event) ends the same way.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => {
    process.exitCode = reportError(error);
    process.exit();
  });
}

process.exitCode = await runProgram(process.argv);
