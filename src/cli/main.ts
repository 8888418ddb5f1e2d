#!/usr/bin/env node
/** The `mmubench` command: the command line of program.ts, with the real workers and engine. */
import { runProgram } from './program.js';

process.exitCode = await runProgram(process.argv);
