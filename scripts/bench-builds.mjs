// `npm run bench:builds`: the engine's two builds side by side (scripts/build.sh: pkg/ with
// WebGPU and the CPU backend, pkg-cpu/ with the CPU backend alone). For each: the wasm's size raw
// and gzipped, and training images/s of its CPU engine in Node (V8, the engine Chromium runs the
// page's wasm on), rounds taken in turn so that both see the same machine. Prints a table and
// writes results/bench/builds.json. Needs `npm run build` first.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { median } from './bench.mjs';

const BUILDS = [
  { name: 'WebGPU build', dir: 'pkg', stem: 'mixvae' },
  { name: 'CPU build', dir: 'pkg-cpu', stem: 'mixvae_cpu' },
];
const BATCH = 128;
/** A positive whole number from the environment variable `name`, or `fallback`; anything else stops the run. */
function count(name, fallback) {
  const text = String(process.env[name] ?? fallback).trim();
  if (!/^[1-9]\d*$/.test(text)) {
    console.error(`bench:builds: ${name} must be a positive whole number (got '${text}')`);
    process.exit(2);
  }
  return Number(text);
}

const STEPS = count('STEPS', 20); // training steps per round
const ROUNDS = count('ROUNDS', 7);
const WEIGHTS = readFileSync('www/model/mixvae.compact.safetensors');

/** The build's glue module, started on its wasm, and the wasm's sizes. */
async function load({ dir, stem }) {
  const wasm = readFileSync(join(dir, `${stem}_bg.wasm`));
  const glue = await import(pathToFileURL(join(resolve(dir), `${stem}.js`)).href);
  glue.initSync({ module: wasm });
  return { glue, rawBytes: wasm.length, gzipBytes: gzipSync(wasm, { level: 9 }).length };
}

const loaded = [];
for (const build of BUILDS) {
  const { glue, rawBytes, gzipBytes } = await load(build);
  const engine = await glue.Engine.create('cpu', WEIGHTS, undefined, undefined);
  await engine.measureTrainingSpeed(BATCH, 3); // warm-up: the first steps compile and allocate
  loaded.push({ ...build, engine, rawBytes, gzipBytes, imagesPerSecond: [] });
}
for (let round = 0; round < ROUNDS; round++) {
  for (const build of loaded) build.imagesPerSecond.push(await build.engine.measureTrainingSpeed(BATCH, STEPS));
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`The engine's builds (${cpu}, ${cpus().length} cores, Node ${process.version}; training on the CPU engine, batch ${BATCH}, median of ${ROUNDS} rounds of ${STEPS} steps)\n`);
console.log('build        | wasm raw (MB) | wasm gzip (MB) | training images/s');
console.log('-------------|---------------|----------------|------------------');
const mb = (bytes) => (bytes / 1e6).toFixed(2).padStart(13);
for (const b of loaded) {
  console.log(`${b.name.padEnd(12)} | ${mb(b.rawBytes)} | ${mb(b.gzipBytes).padStart(14)} | ${median(b.imagesPerSecond).toFixed(0).padStart(17)}`);
}
const [gpuBuild, cpuBuild] = loaded;
const ratio = median(cpuBuild.imagesPerSecond) / median(gpuBuild.imagesPerSecond);
console.log(`\nCPU build / WebGPU build, training speed: ${ratio.toFixed(3)}`);
mkdirSync('results/bench', { recursive: true });
const report = {
  date: new Date().toISOString(),
  cpu,
  cores: cpus().length,
  node: process.version,
  batch: BATCH,
  steps: STEPS,
  builds: loaded.map(({ name, dir, rawBytes, gzipBytes, imagesPerSecond }) => ({ name, dir, rawBytes, gzipBytes, imagesPerSecond })),
  speedRatio: ratio,
};
writeFileSync('results/bench/builds.json', `${JSON.stringify(report, null, 2)}\n`);
console.log('JSON: results/bench/builds.json');
