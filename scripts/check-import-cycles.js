// `npm run lint`: fails when the modules under src/ import each other in a circle, and prints each circle.
// Every import counts, type-only ones included: `import type`, `export … from`, `import('…')` calls and
// `typeof import('…')` types. Specifiers are resolved as the compiler resolves them, with tsconfig.json.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;
const sourceRoot = join(root, 'src');
const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);

const files = readdirSync(sourceRoot, { recursive: true })
  .filter((file) => file.endsWith('.ts'))
  .map((file) => join(sourceRoot, file));

/** The files under src/ that `file` imports, in the order it names them. */
function importsOf(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const specifiers = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      specifiers.push(node.moduleSpecifier);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      specifiers.push(node.argument.literal);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      specifiers.push(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers
    .filter((specifier) => specifier !== undefined && ts.isStringLiteralLike(specifier))
    .map((specifier) => ts.resolveModuleName(specifier.text, file, options, ts.sys).resolvedModule)
    .map((resolved) => resolved?.resolvedFileName)
    .filter((target) => target !== undefined && target.startsWith(sourceRoot + '/'));
}

const graph = new Map(files.map((file) => [file, [...new Set(importsOf(file))]]));

// Tarjan's strongly connected components: every circle lies within one component of two or more files
// (or one file importing itself).
const components = [];
const index = new Map();
const lowest = new Map();
const stack = [];
const onStack = new Set();
function connect(file) {
  index.set(file, index.size);
  lowest.set(file, index.get(file));
  stack.push(file);
  onStack.add(file);
  for (const target of graph.get(file) ?? []) {
    if (!index.has(target)) {
      connect(target);
      lowest.set(file, Math.min(lowest.get(file), lowest.get(target)));
    } else if (onStack.has(target)) {
      lowest.set(file, Math.min(lowest.get(file), index.get(target)));
    }
  }
  if (lowest.get(file) !== index.get(file)) return;
  const component = [];
  let member;
  do {
    member = stack.pop();
    onStack.delete(member);
    component.push(member);
  } while (member !== file);
  if (component.length > 1 || (graph.get(file) ?? []).includes(file)) components.push(component);
}
for (const file of files) if (!index.has(file)) connect(file);

/** The shortest circle from `start` back to itself within `members` (breadth-first). */
function shortestCircle(start, members) {
  const cameFrom = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const target of graph.get(file) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [file];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0]));
        return [...path, start];
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, file);
        queue.push(target);
      }
    }
  }
  return [start];
}

const name = (file) => relative(root, file);
for (const component of components) {
  const members = new Set(component);
  const start = [...members].sort()[0];
  const circle = shortestCircle(start, members);
  console.error(`import cycle: ${circle.map(name).join(' → ')}`);
  if (members.size > circle.length - 1) {
    console.error(
      `  tangled with it: ${[...members]
        .filter((file) => !circle.includes(file))
        .map(name)
        .join(', ')}`,
    );
  }
}
if (components.length > 0) process.exit(1);
console.log(`no import cycles among ${files.length} files under src/`);
