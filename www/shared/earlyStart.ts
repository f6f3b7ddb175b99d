// What the page's entry asks for before anything else: the shipped weights (compact, 1 MB). They
// make the first answer (firstAnswer.ts) when no model of the user's is saved in this browser, and
// are then handed to the worker, which fetches them itself if they could not be had here. The
// worker fetches its wasm only once they are in, so that the two do not share the connection.
import { SHIPPED_WEIGHTS_URL } from './shippedModel';
import { hasSaved } from '../worker/persistence';
import { FirstAnswerModel } from './firstAnswer';

/** What the page hands a worker as it starts. */
export interface EarlyStart {
  /** The shipped weights, when the page fetched them first. */
  weights?: Uint8Array;
  /** Where WebGPU is chosen: answer on the CPU build first, and compile the WebGPU build after
   *  (the page then moves to a worker on it: main.ts). */
  quickStart?: boolean;
  /** The WebGPU build, compiled already (by the worker that answered first). */
  webgpuModule?: WebAssembly.Module;
}

async function fetchWeights(): Promise<Uint8Array | undefined> {
  const response = await fetch(SHIPPED_WEIGHTS_URL);
  const weights = response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
  performance.mark('early:weights');
  return weights;
}

/** The shipped model in TypeScript, or `null` where a model of the user's is saved here (the
 *  worker brings that one back, and it must answer) or the weights cannot be read. */
async function firstAnswerModel(weights: Promise<Uint8Array | undefined>, saved: Promise<boolean>): Promise<FirstAnswerModel | null> {
  const [bytes, isSaved] = await Promise.all([weights, saved]);
  performance.mark('early:saved-checked');
  if (!bytes || isSaved) return null;
  const model = FirstAnswerModel.fromSafeTensors(bytes);
  performance.mark('early:first-answer-model');
  return model;
}

export interface Early {
  /** Resolves once the weights are in: the model that answers until the worker's is ready. */
  firstAnswer: Promise<FirstAnswerModel | null>;
  /** What to hand the worker; never rejects. */
  handOver: Promise<EarlyStart>;
}

/** Starts the weights' download and the check for a saved model. */
export function startEarly(): Early {
  const weights = fetchWeights().catch(() => undefined);
  const saved = hasSaved().catch(() => true); // unknown: the worker answers
  const firstAnswer = firstAnswerModel(weights, saved).catch(() => null);
  // The weights are handed over (transferred) only once the first-answer model has copied them.
  const handOver = firstAnswer.then(async () => ({ weights: await weights }));
  return { firstAnswer, handOver };
}
