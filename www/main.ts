// The page: starts the worker (which picks the backend and loads the shipped model), then wires
// the four sections. All model work happens in the worker.
import * as Comlink from 'comlink';
import { modelChanged, type App } from './app';
import type { BackendChoice } from './backend';
import { setupDrawSection } from './drawSection';
import { setupGenerateSection } from './generateSection';
import { setupMapSection } from './mapSection';
import { setupTrainSection } from './trainSection';
import { byId, clearError, messageOf, percent, showError } from './ui';
import type { WorkerApi } from './worker';

const CHOICE_KEY = 'mixvae.backend';

function startWorker(): { worker: Worker; api: Comlink.Remote<WorkerApi> } {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'mixvae' });
  return { worker, api: Comlink.wrap<WorkerApi>(worker) };
}

function showBackend(backend: string, reason: string): void {
  const badge = byId('backend-badge');
  badge.dataset.backend = backend;
  badge.textContent = backend === 'webgpu' ? 'WebGPU' : 'CPU (wasm)';
  badge.title = reason;
  byId('backend-reason').textContent = reason;
}

function showModelStatus(app: App): void {
  const m = app.model;
  const score = m.scores ? ` · test accuracy ${percent(m.scores.accuracy)}` : '';
  byId('model-status').textContent = `Model: ${m.source}, K = ${m.config.components}, d = ${m.config.latent_dim}${score}`;
}

async function main(): Promise<void> {
  byId('error-close').addEventListener('click', clearError);
  const choiceSelect = byId<HTMLSelectElement>('backend-choice');
  const choice = (localStorage.getItem(CHOICE_KEY) as BackendChoice | null) ?? 'auto';
  choiceSelect.value = choice;
  const dataBase = new URL('data/', document.baseURI).href;

  let { worker, api } = startWorker();
  let started;
  try {
    started = await api.start(choice, dataBase);
  } catch (error) {
    showError(`The model could not start: ${messageOf(error)}`);
    byId('model-status').textContent = 'The model could not start.';
    return;
  }
  showBackend(started.decision.backend, started.decision.reason);
  performance.mark('model-ready');
  const app: App = { worker: api, model: started.model, testImages: null, map: null, onModelChanged: [] };
  app.onModelChanged.push(() => showModelStatus(app));
  showModelStatus(app);

  const mapSection = setupMapSection(app);
  setupDrawSection(app, (c) => mapSection.markDrawing(c));
  setupGenerateSection(app);
  setupTrainSection(app, mapSection);

  // Switching backend starts a fresh worker (a WebGPU runtime cannot be swapped in place) with
  // the shipped model; the test digits are fetched again when needed.
  choiceSelect.addEventListener('change', async () => {
    const next = choiceSelect.value as BackendChoice;
    localStorage.setItem(CHOICE_KEY, next);
    byId('backend-badge').textContent = 'switching…';
    worker.terminate();
    ({ worker, api } = startWorker());
    try {
      const restarted = await api.start(next, dataBase);
      app.worker = api;
      app.testImages = null;
      showBackend(restarted.decision.backend, restarted.decision.reason);
      modelChanged(app, restarted.model, 'loaded');
    } catch (error) {
      showError(`The ${next} backend could not start: ${messageOf(error)}`);
    }
  });

  byId('export-button').addEventListener('click', async () => {
    try {
      const bytes = await app.worker.exportWeights();
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      link.download = `mixvae-k${app.model.config.components}-d${app.model.config.latent_dim}.safetensors`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      showError(`Could not export the weights: ${messageOf(error)}`);
    }
  });

  const importInput = byId<HTMLInputElement>('import-input');
  importInput.addEventListener('change', async () => {
    const file = importInput.files?.[0];
    if (!file) return;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const model = await app.worker.loadWeights(bytes, file.name);
      clearError();
      modelChanged(app, model, 'loaded');
    } catch (error) {
      showError(`${file.name} was not loaded: ${messageOf(error)}. The model in use is unchanged.`);
    } finally {
      importInput.value = '';
    }
  });
}

void main();
