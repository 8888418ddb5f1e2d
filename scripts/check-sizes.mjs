#!/usr/bin/env node
// The size rules of the developers' guide, for `npm run lint`: every file in src/ under 400 lines,
// every function under 80 (declarations, methods, constructors, accessors, function expressions
// and arrow functions; a function's lines run from its first line to its closing one, so a nested
// function counts in its parent too). Prints one line per offender and exits 1 when there is one.
// TypeScript's own parser (a dependency) finds the functions; nothing else is needed.
// Usage: node scripts/check-sizes.mjs [ROOT] (default: this repository; ROOT/src is checked).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The name a reader would search for: `name`, `Class.method`, or `(arrow)` with its variable. */
function functionName(node) {
  const owner = ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : '';
  if (ts.isConstructorDeclaration(node)) return `${owner}constructor`;
  if (node.name && ts.isIdentifier(node.name)) return `${owner}${node.name.text}`;
  if (ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)) return node.parent.name.text;
  if (ts.isPropertyAssignment(node.parent) && ts.isIdentifier(node.parent.name)) return node.parent.name.text;
  return '(anonymous function)';
}

function longFunctions(file, text) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const lineOf = (position) => source.getLineAndCharacterOfPosition(position).line + 1;
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const first = lineOf(node.getStart(source));
      const lines = lineOf(node.getEnd()) - first + 1;
      if (lines > MAX_FUNCTION_LINES) found.push({ line: first, name: functionName(node), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const problems = [];
for (const path of sourceFiles(join(root, 'src')).sort()) {
  const file = relative(root, path);
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > MAX_FILE_LINES) problems.push(`${file}: ${lines} lines, over ${MAX_FILE_LINES}: split it by idea (one idea per file)`);
  for (const f of longFunctions(file, text)) {
    problems.push(`${file}:${f.line}: ${f.name} is ${f.lines} lines, over ${MAX_FUNCTION_LINES}: split it into named steps`);
  }
}
for (const problem of problems) process.stderr.write(`check-sizes: ${problem}\n`);
if (problems.length > 0) {
  process.stderr.write(`check-sizes: ${problems.length} over the size limits (files ${MAX_FILE_LINES} lines, functions ${MAX_FUNCTION_LINES})\n`);
  process.exit(1);
}
process.stdout.write(`check-sizes: src/ files under ${MAX_FILE_LINES} lines, functions under ${MAX_FUNCTION_LINES}\n`);
