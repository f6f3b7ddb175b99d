// The model the user had, kept in this browser's IndexedDB (through idb-keyval): the weights
// (SafeTensors, with the architecture in their metadata), where they came from, and the training
// run's position (settings, epochs and steps done, each digit's group), so that a reload brings
// the model back and training resumes where it stopped. Used by the worker (the page's entry only
// asks whether a model is saved).
//
// Adam's moments are not kept: burn 0.22 loads an optimizer state onto the default device, which
// in this wasm build is WebGPU (absent or not started when the page runs on the CPU), and reads it
// synchronously, which WebGPU in a browser does not allow. A resumed run restarts Adam; natively
// `Trainer::optimizer_state` / `Trainer::resume` do carry it.
import { createStore, del, get, keys, set } from 'idb-keyval';
import type { TrainProgress } from '../../pkg/mixvae.js';

export interface SavedModel {
  weights: Uint8Array;
  /** What the page calls the model ("trained in this browser", an imported file's name…). */
  source: string;
  savedAt: number;
  /** The run to resume, if the model was saved while training. */
  training: TrainProgress | null;
  /** Each training digit's group, once the mixture has been placed (the anchor stage needs it). */
  anchors: Uint32Array | null;
}

const store = createStore('mixvae', 'saved-models');
const KEY = 'current';

/** The saved model, `null` if none; an error if the record is not one this page wrote. */
export async function loadSaved(): Promise<SavedModel | null> {
  const saved = (await get(KEY, store)) as Partial<SavedModel> | undefined;
  if (saved === undefined) return null;
  const valid =
    saved.weights instanceof Uint8Array &&
    typeof saved.source === 'string' &&
    typeof saved.savedAt === 'number' &&
    (saved.anchors == null || saved.anchors instanceof Uint32Array) &&
    (saved.training == null || (typeof saved.training === 'object' && typeof saved.training.epochs_done === 'number'));
  if (!valid) throw new Error('the saved record is damaged');
  return saved as SavedModel;
}

/** Whether a model is saved, without reading it (the page's entry asks: see earlyStart.ts). */
export async function hasSaved(): Promise<boolean> {
  return (await keys(store)).includes(KEY);
}

export function saveModel(model: SavedModel): Promise<void> {
  return set(KEY, model, store);
}

export function forgetSaved(): Promise<void> {
  return del(KEY, store);
}
