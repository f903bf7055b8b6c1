// Fails when a module imports (directly or through others) a module that imports it back.
// Reads the relative `import`/`export ... from` specifiers (type-only ones too: a cycle of
// types is still two rooms that cannot be understood apart) of every TypeScript source file
// under packages/*/src and apps/*/src.
//   node tools/check-cycles.mjs
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const files = [];
for (const group of ['packages', 'apps']) {
  for (const pkg of readdirSync(join(root, group))) walk(join(root, group, pkg, 'src'));
}
function walk(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
  }
}

function target(from, specifier) {
  const base = resolve(dirname(from), specifier.replace(/\.js$/, ''));
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

const edges = new Map();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const deps = new Set();
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s*['"](\.[^'"]+)['"]/gms)) {
    const to = target(file, m[1]);
    if (to) deps.add(to);
  }
  edges.set(file, [...deps]);
}

const state = new Map(); // file -> 1 visiting, 2 done
const cycles = [];
function visit(file, stack) {
  state.set(file, 1);
  stack.push(file);
  for (const dep of edges.get(file) ?? []) {
    if (state.get(dep) === 1) cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
    else if (!state.has(dep)) visit(dep, stack);
  }
  stack.pop();
  state.set(file, 2);
}
for (const file of files) if (!state.has(file)) visit(file, []);

for (const cycle of cycles) {
  console.error(`import cycle: ${cycle.map((f) => relative(root, f)).join(' -> ')}`);
}
console.log(`check-cycles: ${files.length} modules, ${cycles.length} import cycles`);
process.exit(cycles.length ? 1 : 0);
