// `npm run check:cycles`: import cycles between the project's own modules, in Rust (`src/`: the
// library's modules through `use crate::…`, and the CLI's in `src/bin/mixvae/`) and in TypeScript
// (`www/`: relative imports, `import type` included). Prints each cycle and exits with 1 if there
// is one. The Rust graph is read from `use crate::a::…` and `crate::a::…` paths: enough for this
// crate, which names its modules that way.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Every file under `dir` whose name ends with `extension`. */
function files(dir, extension) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(extension))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/** Rust: module name -> the crate modules it uses, for the files of one crate root folder. */
function rustGraph(dir) {
  const modules = new Map(files(dir, '.rs').filter((f) => dirname(f) === dir).map((f) => [f.slice(dir.length + 1, -3), f]));
  const graph = new Map();
  for (const [name, file] of modules) {
    const source = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
    const used = new Set();
    for (const [, target] of source.matchAll(/\bcrate::([a-z_][a-z0-9_]*)/g)) if (modules.has(target) && target !== name) used.add(target);
    // `use crate::{a, b::c}` groups.
    for (const [, group] of source.matchAll(/\bcrate::\{([^}]*)\}/g)) {
      for (const [, target] of group.matchAll(/(?:^|[,\s{])([a-z_][a-z0-9_]*)/g)) if (modules.has(target) && target !== name) used.add(target);
    }
    graph.set(`${relative('.', dir)}/${name}.rs`, [...used].map((t) => `${relative('.', dir)}/${t}.rs`));
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

const graphs = { 'src (library)': rustGraph('src'), 'src/bin/mixvae (CLI)': rustGraph('src/bin/mixvae'), www: typescriptGraph('www') };
let total = 0;
for (const [name, graph] of Object.entries(graphs)) {
  const found = cycles(graph);
  total += found.length;
  console.log(`${name}: ${graph.size} modules, ${found.length} import cycle${found.length === 1 ? '' : 's'}`);
  for (const component of found) console.log(`  ${component.join(' <-> ')}`);
}
process.exit(total === 0 ? 0 : 1);
