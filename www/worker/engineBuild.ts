// The engine comes in two builds (scripts/build.sh): the WebGPU build, with burn's WebGPU and CPU
// backends, and the CPU build, with the CPU backend only, a fraction of the size (cubecl's kernel
// compiler is most of the WebGPU build). Both export the same API. The worker fetches only the
// build its backend needs.
import type * as Build from '../../pkg/mixvae.js';
import webgpuWasmUrl from '../../pkg/mixvae_bg.wasm?url';
import cpuWasmUrl from '../../pkg-cpu/mixvae_cpu_bg.wasm?url';

export type EngineClass = typeof Build.Engine;
export type BuildName = 'webgpu' | 'cpu';

const builds: Record<BuildName, { glue: () => Promise<typeof Build>; wasm: string }> = {
  webgpu: { glue: () => import('../../pkg/mixvae.js'), wasm: webgpuWasmUrl },
  // The same exports; its classes are another declaration of them, hence the cast.
  cpu: { glue: () => import('../../pkg-cpu/mixvae_cpu.js') as unknown as Promise<typeof Build>, wasm: cpuWasmUrl },
};

/** Fetches and compiles `build`'s wasm as it streams; a server that sends it with another MIME
 *  type makes that fail, and then its URL is returned for wasm-bindgen's init to fetch again and
 *  compile whole. */
export function compileBuild(build: BuildName): Promise<WebAssembly.Module | string> {
  const { wasm } = builds[build];
  return WebAssembly.compileStreaming(fetch(wasm)).catch(() => wasm);
}

/** Starts `build` (from `compiled` when it was compiled already, e.g. by another worker); resolves
 *  to its `Engine` class. */
export async function loadEngine(build: BuildName, compiled?: WebAssembly.Module): Promise<EngineClass> {
  const compiling = compiled ? Promise.resolve(compiled) : compileBuild(build);
  const module = await builds[build].glue();
  await module.default({ module_or_path: await compiling });
  return module.Engine;
}
