// `npm run check:structure`: the limits that keep the code readable at once.
// - No import cycle between the project's own modules, in Rust (`src/`: the library's modules
//   through `use crate::…`, a module folder such as `src/training/` counting as one module; and
//   the CLI's in `src/bin/mixvae/`) and in TypeScript (`www/`: relative imports, `import type`
//   included). The Rust graph is read from `crate::a…` paths: enough for this crate, which names
//   its modules that way.
// - No file in `src/` or `www/` over 400 lines.
// - No Rust function over 60 lines, counted from its `fn` line to the `}` that closes it at the
//   same indentation (rustfmt's layout; `cargo fmt` keeps the code in it). TypeScript functions are
//   held to the same 60 lines by oxlint's max-lines-per-function (`npm run lint`).
// Prints what it found and exits with 1 if anything is over.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Every file under `dir` whose name ends with `extension`. */
function files(dir, extension) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(extension))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/** Rust: module -> the crate modules it uses, for one crate root folder. A module is a file
 * beside the root (`src/data.rs`) or a folder of files (`src/training/`), read as one. */
function rustGraph(dir) {
  const modules = new Map();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.rs')) modules.set(entry.name.slice(0, -3), [join(dir, entry.name)]);
    else if (entry.isDirectory() && entry.name !== 'bin') modules.set(entry.name, files(join(dir, entry.name), '.rs'));
  }
  const graph = new Map();
  const nodeName = (name) => `${relative('.', dir)}/${name}${modules.get(name).length === 1 && modules.get(name)[0].endsWith(`${name}.rs`) ? '.rs' : '/'}`;
  for (const [name, moduleFiles] of modules) {
    const source = moduleFiles.map((file) => readFileSync(file, 'utf8')).join('\n').replace(/\/\/.*$/gm, '');
    const used = new Set();
    for (const [, target] of source.matchAll(/\bcrate::([a-z_][a-z0-9_]*)/g)) if (modules.has(target) && target !== name) used.add(target);
    // `use crate::{a, b::c}` groups.
    for (const [, group] of source.matchAll(/\bcrate::\{([^}]*)\}/g)) {
      for (const [, target] of group.matchAll(/(?:^|[,\s{])([a-z_][a-z0-9_]*)/g)) if (modules.has(target) && target !== name) used.add(target);
    }
    graph.set(nodeName(name), [...used].map(nodeName));
  }
  return graph;
}

/** TypeScript: file -> the project files it imports (relative specifiers only). */
function typescriptGraph(dir) {
  const graph = new Map();
  for (const file of files(dir, '.ts')) {
    const source = readFileSync(file, 'utf8');
    const targets = new Set();
    for (const [, fromSpecifier, dynamicSpecifier] of source.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const specifier = fromSpecifier ?? dynamicSpecifier;
      if (!specifier) continue;
      const target = resolve(dirname(file), specifier.replace(/\?.*$/, ''));
      const withExtension = target.endsWith('.ts') ? target : `${target}.ts`;
      if (withExtension.startsWith(resolve(dir))) targets.add(relative('.', withExtension));
    }
    graph.set(relative('.', file), [...targets]);
  }
  return graph;
}

/** The strongly connected components with more than one file (Tarjan's algorithm). */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const state = new Map();
  const found = [];
  const visit = (node) => {
    state.set(node, { index, low: index, onStack: true });
    index++;
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!state.has(next)) {
        visit(next);
        state.get(node).low = Math.min(state.get(node).low, state.get(next).low);
      } else if (state.get(next).onStack) state.get(node).low = Math.min(state.get(node).low, state.get(next).index);
    }
    if (state.get(node).low === state.get(node).index) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        state.get(member).onStack = false;
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 60;

/** Files in `src/` and `www/` longer than MAX_FILE_LINES: "path: N lines". */
function longFiles() {
  return [...files('src', '.rs'), ...files('www', '.ts')]
    .map((file) => [file, readFileSync(file, 'utf8').split('\n').length - 1])
    .filter(([, lines]) => lines > MAX_FILE_LINES)
    .map(([file, lines]) => `${file}: ${lines} lines`);
}

/** Rust functions in `src/` longer than MAX_FUNCTION_LINES: "path:line name: N lines". */
function longRustFunctions() {
  const found = [];
  for (const file of files('src', '.rs')) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, start) => {
      const signature = line.match(/^(\s*)(?:pub(?:\([a-z]+\))? )?(?:const )?(?:async )?(?:unsafe )?(?:extern "C" )?fn ([A-Za-z0-9_]+)/);
      if (!signature) return;
      const [, indent, name] = signature;
      let open = start;
      while (open < lines.length && !/[{;]\s*$/.test(lines[open])) open++;
      if (/;\s*$/.test(lines[open] ?? ';') && !lines[open].includes('{')) return; // a declaration without a body
      for (let end = open; end < lines.length; end++) {
        if (lines[end].trimEnd() === `${indent}}` || (end === start && /\}\s*$/.test(line))) {
          const length = end - start + 1;
          if (length > MAX_FUNCTION_LINES) found.push(`${file}:${start + 1} ${name}: ${length} lines`);
          return;
        }
      }
    });
  }
  return found;
}

const graphs = { 'src (library)': rustGraph('src'), 'src/bin/mixvae (CLI)': rustGraph('src/bin/mixvae'), www: typescriptGraph('www') };
let total = 0;
for (const [name, graph] of Object.entries(graphs)) {
  const found = cycles(graph);
  total += found.length;
  console.log(`${name}: ${graph.size} modules, ${found.length} import cycle${found.length === 1 ? '' : 's'}`);
  for (const component of found) console.log(`  ${component.join(' <-> ')}`);
}
const checks = [
  [`files over ${MAX_FILE_LINES} lines (src/, www/)`, longFiles()],
  [`Rust functions over ${MAX_FUNCTION_LINES} lines (src/)`, longRustFunctions()],
];
for (const [name, found] of checks) {
  total += found.length;
  console.log(`${name}: ${found.length}`);
  for (const item of found) console.log(`  ${item}`);
}
process.exit(total === 0 ? 0 : 1);
