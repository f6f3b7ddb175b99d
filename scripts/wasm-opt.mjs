// `node scripts/wasm-opt.mjs FILE.wasm...`: shrinks each of the engine's wasm files in place with
// binaryen's wasm-opt (the npm package `binaryen`, which runs in Node: nothing is downloaded).
// By default only the name section (function names for debuggers, 16% of the WebGPU build) and
// the producers section go: the code is left as rustc optimised it. WASM_OPT="-Oz" (or any
// wasm-opt passes) optimises it further; docs/performance.md has what each gave: -Oz shrinks the
// raw file by a further 20% but the gzipped one by under 4%, and takes 4 minutes on the WebGPU
// build. Each result is cached under target/wasm-opt by the input's hash and the passes, since
// wasm-pack writes its output anew on every build.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WASM_OPT = fileURLToPath(new URL('../node_modules/binaryen/bin/wasm-opt', import.meta.url));
const CACHE = fileURLToPath(new URL('../target/wasm-opt/', import.meta.url));

// The features rustc's wasm32 output uses (wasm-opt refuses what it is not told of).
const FEATURES = ['--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-simd', '--enable-multivalue', '--enable-reference-types'];
const PASSES = (process.env.WASM_OPT ?? '--strip-debug --strip-producers').split(' ').filter(Boolean);
const OPTIONS = [...PASSES, ...FEATURES];

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

function optimise(file) {
  const input = readFileSync(file);
  const key = createHash('sha256').update(input).update(OPTIONS.join(' ')).digest('hex').slice(0, 32);
  const cached = `${CACHE}${key}.wasm`;
  if (!existsSync(cached)) {
    const started = Date.now();
    const run = spawnSync(process.execPath, [WASM_OPT, file, ...OPTIONS, '-o', `${cached}.partial`], { stdio: 'inherit' });
    if (run.status !== 0) throw new Error(`wasm-opt failed on ${file} (exit ${run.status})`);
    renameSync(`${cached}.partial`, cached);
    console.log(`  optimised in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  copyFileSync(cached, file);
  console.log(`${file}: ${mb(input.length)} -> ${mb(statSync(file).size)} (wasm-opt ${PASSES.join(' ')})`);
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/wasm-opt.mjs FILE.wasm...');
  process.exit(2);
}
mkdirSync(CACHE, { recursive: true });
for (const file of files) optimise(file);
