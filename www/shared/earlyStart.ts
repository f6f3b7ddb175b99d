// What the model's worker needs first, asked for by the page's entry before the worker's own
// script has loaded: the wasm compiles (streamed) and the shipped weights download while the
// worker starts, and both are handed to it. Either may fail here (a server that sends the wasm
// with another MIME type, say): the worker then fetches what is missing itself. The weights also
// make the first answer (firstAnswer.ts), when no model of the user's is saved in this browser.
import wasmUrl from '../../pkg/mixvae_bg.wasm?url';
import weightsUrl from '../model/mixvae.safetensors?url';
import { hasSaved } from '../worker/persistence';
import { FirstAnswerModel } from './firstAnswer';

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

/** The shipped model in TypeScript, or `null` where a model of the user's is saved here (the
 *  worker brings that one back, and it must answer) or the weights cannot be read. */
async function firstAnswerModel(weights: Uint8Array | undefined): Promise<FirstAnswerModel | null> {
  if (!weights || (await hasSaved())) return null;
  return FirstAnswerModel.fromSafeTensors(weights);
}

export interface Early {
  /** Resolves once the weights are in: the model that answers until the worker's is ready. */
  firstAnswer: Promise<FirstAnswerModel | null>;
  /** What to hand the worker; never rejects. */
  handOver: Promise<EarlyStart>;
}

/** Starts both at once. */
export function startEarly(): Early {
  const module = compileWasm();
  const weights = fetchWeights().catch(() => undefined);
  const firstAnswer = weights.then(firstAnswerModel).catch(() => null);
  // The weights are handed over (transferred) only once the first-answer model has copied them.
  const handOver = Promise.allSettled([module, weights, firstAnswer]).then(([m, w]) => ({
    module: m.status === 'fulfilled' ? m.value : undefined,
    weights: w.status === 'fulfilled' ? w.value : undefined,
  }));
  return { firstAnswer, handOver };
}
