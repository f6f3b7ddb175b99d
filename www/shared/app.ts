// What the page's sections share: the worker, the model in use, the loaded test digits.
import type { Remote } from 'comlink';
import type { MapView, ModelInfo, WorkerApi } from '../worker/worker';

export interface App {
  worker: Remote<WorkerApi>;
  model: ModelInfo;
  /** The test digits' pixels (784 bytes each), once loaded. */
  testImages: Uint8Array | null;
  /** The test digits on the map under the current model, once computed. */
  map: MapView | null;
  /** Called whenever the model in use changes (loaded, trained an epoch, imported). */
  onModelChanged: ((reason: 'epoch' | 'step' | 'loaded') => void)[];
}

export function modelChanged(app: App, model: ModelInfo, reason: 'epoch' | 'step' | 'loaded'): void {
  app.model = model;
  if (reason !== 'step') app.map = null;
  for (const listener of app.onModelChanged) listener(reason);
}
