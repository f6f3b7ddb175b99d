// The page's engine (pkg/, from `npm run build`) in Node on Dawn, Chrome's WebGPU implementation
// (the npm package `webgpu`): the same wasm and the same WebGPU calls as in the page's worker,
// without a browser. Counts what the engine asks of WebGPU by wrapping the WebGPU methods it calls.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** WebGPU calls counted, by the name they are reported under. */
const COUNTED = {
  dispatches: ['GPUComputePassEncoder', 'dispatchWorkgroups'],
  computePasses: ['GPUCommandEncoder', 'beginComputePass'],
  submits: ['GPUQueue', 'submit'],
  readBacks: ['GPUBuffer', 'mapAsync'],
  bufferWrites: ['GPUQueue', 'writeBuffer'],
  bufferCopies: ['GPUCommandEncoder', 'copyBufferToBuffer'],
  bufferCreations: ['GPUDevice', 'createBuffer'],
  bindGroups: ['GPUDevice', 'createBindGroup'],
  shaderModules: ['GPUDevice', 'createShaderModule'],
  pipelines: ['GPUDevice', 'createComputePipeline'],
};

export const counts = Object.fromEntries(Object.keys(COUNTED).map((name) => [name, 0]));

/** A copy of the counts so far. */
export const countsNow = () => ({ ...counts });

/** What happened between two copies of the counts, divided by `per`. */
export function countsBetween(before, after, per = 1) {
  return Object.fromEntries(Object.keys(counts).map((name) => [name, (after[name] - before[name]) / per]));
}

/** Dispatches by kernel (the compute pipeline's label: cubecl's kernel name). */
export const kernels = new Map();
export const kernelsNow = () => new Map(kernels);

/** Kernels dispatched between two copies of `kernels`, divided by `per`, the most first. */
export function kernelsBetween(before, after, per = 1) {
  return [...after]
    .map(([name, n]) => [name, (n - (before.get(name) ?? 0)) / per])
    .filter(([, n]) => n !== 0)
    .sort((a, b) => b[1] - a[1]);
}

function wrapKernelNames(globals) {
  const pipelineNames = new WeakMap();
  const passPipelines = new WeakMap();
  const { createComputePipeline } = globals.GPUDevice.prototype;
  globals.GPUDevice.prototype.createComputePipeline = function (descriptor) {
    const pipeline = createComputePipeline.call(this, descriptor);
    pipelineNames.set(pipeline, descriptor?.label || descriptor?.compute?.entryPoint || 'unnamed');
    return pipeline;
  };
  const { setPipeline, dispatchWorkgroups } = globals.GPUComputePassEncoder.prototype;
  globals.GPUComputePassEncoder.prototype.setPipeline = function (pipeline) {
    passPipelines.set(this, pipelineNames.get(pipeline) ?? 'unnamed');
    return setPipeline.call(this, pipeline);
  };
  globals.GPUComputePassEncoder.prototype.dispatchWorkgroups = function (...args) {
    const name = passPipelines.get(this) ?? 'unnamed';
    kernels.set(name, (kernels.get(name) ?? 0) + 1);
    return dispatchWorkgroups.apply(this, args);
  };
}

function wrapCounters(globals) {
  wrapKernelNames(globals);
  for (const [name, [cls, method]] of Object.entries(COUNTED)) {
    const proto = globals[cls]?.prototype;
    const original = proto?.[method];
    if (typeof original !== 'function') throw new Error(`Dawn has no ${cls}.${method} to count`);
    proto[method] = function (...args) {
      counts[name] += 1;
      return original.apply(this, args);
    };
  }
}

/**
 * Starts Dawn with `dawnFlags` (e.g. ['backend=vulkan']) as the global `navigator.gpu` of a
 * worker-like scope, counters installed, and loads the wasm in `pkgDir`. `webgpuModule` is where
 * the `webgpu` package is (a path, for a machine without node_modules).
 */
export async function loadEngine({ pkgDir = 'pkg', dawnFlags = [], webgpuModule = 'webgpu' } = {}) {
  const webgpuUrl = webgpuModule.startsWith('.') || webgpuModule.startsWith('/')
    ? pathToFileURL(join(resolve(webgpuModule), 'index.js')).href
    : webgpuModule;
  const { create, globals } = await import(webgpuUrl);
  Object.assign(globalThis, globals);
  wrapCounters(globals);
  // wgpu's web backend looks for `navigator.gpu` in a Window or a WorkerGlobalScope.
  globalThis.WorkerGlobalScope ??= class WorkerGlobalScope {};
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create(dawnFlags) }, configurable: true });
  const pkg = await import(pathToFileURL(join(resolve(pkgDir), 'mixvae.js')).href);
  pkg.initSync({ module: readFileSync(join(pkgDir, 'mixvae_bg.wasm')) });
  return pkg;
}

/** The adapter Dawn offers by default: its name in words, whether it can time GPU work, and
 *  whether it is a software fallback. */
export async function describeAdapter(options = { powerPreference: 'high-performance' }) {
  const adapter = await navigator.gpu.requestAdapter(options);
  if (!adapter) return null;
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  return {
    name: name || 'unnamed adapter',
    description: info.description ?? '',
    fallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
    timestampQuery: adapter.features.has('timestamp-query'),
    featureLevel: adapter.featureLevel ?? 'core',
  };
}
