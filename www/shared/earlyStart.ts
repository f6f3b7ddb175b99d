// What the model's worker needs first, asked for by the page's entry before the worker's own
// script has loaded: the wasm compiles (streamed) and the shipped weights download while the
// worker starts, and both are handed to it. Either may fail here (a server that sends the wasm
// with another MIME type, say): the worker then fetches what is missing itself.
import wasmUrl from '../../pkg/mixvae_bg.wasm?url';
import weightsUrl from '../model/mixvae.safetensors?url';

export interface EarlyStart {
  module?: WebAssembly.Module;
  weights?: Uint8Array;
}

async function fetchWeights(): Promise<Uint8Array | undefined> {
  const response = await fetch(weightsUrl);
  const weights = response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
  performance.mark('early:weights');
  return weights;
}

async function compileWasm(): Promise<WebAssembly.Module> {
  const module = await WebAssembly.compileStreaming(fetch(wasmUrl));
  performance.mark('early:wasm');
  return module;
}

/** Starts both at once; never rejects. */
export async function startEarly(): Promise<EarlyStart> {
  const [module, weights] = await Promise.allSettled([compileWasm(), fetchWeights()]);
  return {
    module: module.status === 'fulfilled' ? module.value : undefined,
    weights: weights.status === 'fulfilled' ? weights.value : undefined,
  };
}
