// The page: starts the worker (which picks the backend and loads the shipped model), then wires
// the four sections. All model work happens in the worker.
import * as Comlink from 'comlink';
import { modelChanged, type App } from './app';
import type { BackendChoice, BackendDecision } from './backend';
import { DrawPad } from './draw';
import { setupDrawSection } from './drawSection';
import { setupGenerateSection } from './generateSection';
import { setupMapSection } from './mapSection';
import { setupOwnData, type OwnData } from './ownData';
import { setupTrainSection, type TrainSection } from './trainSection';
import { byId, clearError, messageOf, percent, showError, showNotice } from './ui';
import type { Fault, WorkerApi } from './worker';

type Started = Awaited<ReturnType<WorkerApi['start']>>;

const CHOICE_KEY = 'mixvae.backend';

interface Running {
  worker: Worker;
  api: Comlink.Remote<WorkerApi>;
}

/** Shows the backend in the header; `measured` is the decision when it followed a measurement. */
function showBackend(backend: string, reason: string, measured?: BackendDecision): void {
  const badge = byId('backend-badge');
  badge.dataset.backend = backend;
  badge.textContent = measured?.badge ?? (backend === 'webgpu' ? 'WebGPU' : 'CPU (wasm)');
  if (measured?.speeds) badge.dataset.measuredAt = String(measured.speeds.measuredAt);
  else delete badge.dataset.measuredAt;
  badge.title = reason;
  byId('backend-reason').textContent = reason;
}

function showModelStatus(app: App): void {
  const m = app.model;
  const score = m.scores ? ` · test accuracy ${percent(m.scores.accuracy)}` : '';
  byId('model-status').textContent = `Model: ${m.source}, K = ${m.config.components}, d = ${m.config.latent_dim}${score}`;
}

/** The pad takes ink from first paint; what is drawn before the model is ready is kept and
 *  answered once it is (setupDrawSection). */
function setupPad(): DrawPad {
  const pad = new DrawPad(byId<HTMLCanvasElement>('draw-canvas'));
  byId('clear-button').addEventListener('click', () => pad.clear());
  byId('undo-button').addEventListener('click', () => pad.undo());
  pad.onChange = () => {
    if (!pad.isEmpty) byId('cluster-result').textContent = 'Your drawing is kept: it is answered as soon as the model is ready…';
  };
  return pad;
}

async function main(): Promise<void> {
  const pad = setupPad();
  byId('error-close').addEventListener('click', clearError);
  const choiceSelect = byId<HTMLSelectElement>('backend-choice');
  let choice = (localStorage.getItem(CHOICE_KEY) as BackendChoice | null) ?? 'auto';
  choiceSelect.value = choice;
  const dataBase = new URL('data/', document.baseURI).href;
  let restarting = false;
  let sections: { train: TrainSection; ownData: OwnData } | null = null;

  /** A fresh worker on `backend`, with the saved model (or the shipped one) loaded. */
  async function startWorker(backend: BackendChoice): Promise<Running & { started: Started }> {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'mixvae' });
    const api = Comlink.wrap<WorkerApi>(worker);
    // An error nothing in the worker caught: the worker cannot be trusted any more.
    worker.addEventListener('error', (event) => onFault({ kind: 'crashed', message: event.message || 'the worker stopped' }));
    const measureFallback = new URLSearchParams(location.search).has('measure-backends');
    const started = await api.start(backend, dataBase, Comlink.proxy(onFault), measureFallback);
    return { worker, api, started };
  }

  /** Replaces the worker (after a fault, or to switch backend) and carries on where it was. */
  async function restart(backend: BackendChoice, notice: string | null, reason?: string): Promise<void> {
    if (!app || restarting) return;
    restarting = true;
    const wasTraining = sections?.train.isRunning() ?? false;
    byId('backend-badge').textContent = 'restarting…';
    current.worker.terminate();
    try {
      const next = await startWorker(backend);
      current = next;
      app.worker = next.api;
      app.testImages = null;
      sections?.ownData.reset(); // the new worker has MNIST, not the user's files
      showBackend(next.started.decision.backend, reason ?? next.started.decision.reason, reason ? undefined : next.started.decision);
      modelChanged(app, next.started.model, 'loaded');
      if (notice) showNotice(notice);
      sections?.train.offerSaved(next.started.restored?.training ?? null, wasTraining);
    } catch (error) {
      showError(`The model could not restart: ${messageOf(error)}`);
    } finally {
      restarting = false;
    }
  }

  function onFault(fault: Fault): void {
    if (restarting) return;
    if (fault.kind === 'device-lost') {
      void restart(
        'cpu',
        `The GPU stopped working (${fault.message}). The page moved to the CPU and goes on from the model saved in this browser.`,
        `the GPU device was lost (${fault.message}); the CPU took over until the page is reloaded`,
      );
    } else {
      void restart(choice, `The model's worker stopped (${fault.message}). It was restarted with the model saved in this browser.`);
    }
  }

  let app: App | null = null;
  let current: Running;
  let started: Started;
  try {
    ({ started, ...current } = await startWorker(choice));
  } catch (error) {
    showError(`The model could not start: ${messageOf(error)}`);
    byId('model-status').textContent = 'The model could not start.';
    return;
  }
  showBackend(started.decision.backend, started.decision.reason, started.decision);
  performance.mark('model-ready');
  app = { worker: current.api, model: started.model, testImages: null, map: null, onModelChanged: [] };
  const appRef = app;
  app.onModelChanged.push(() => showModelStatus(appRef));
  showModelStatus(app);
  if (started.restoreError) showError(started.restoreError);

  const mapSection = setupMapSection(app);
  setupDrawSection(app, pad, (c) => mapSection.markDrawing(c));
  setupGenerateSection(app);
  sections = { train: setupTrainSection(app, mapSection), ownData: setupOwnData(app) };
  sections.train.offerSaved(started.restored?.training ?? null, false);

  // Switching backend starts a fresh worker (a WebGPU runtime cannot be swapped in place); the
  // model saved in this browser comes along.
  choiceSelect.addEventListener('change', async () => {
    choice = choiceSelect.value as BackendChoice;
    localStorage.setItem(CHOICE_KEY, choice);
    // A run in progress is saved first, so that the new backend goes on from this very step.
    if (sections?.train.isRunning()) await current.api.saveNow().catch(() => undefined);
    void restart(choice, null);
  });

  byId('export-button').addEventListener('click', async () => {
    try {
      const bytes = await appRef.worker.exportWeights();
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      link.download = `mixvae-k${appRef.model.config.components}-d${appRef.model.config.latent_dim}.safetensors`;
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
      const model = await appRef.worker.loadWeights(bytes, file.name);
      clearError();
      modelChanged(appRef, model, 'loaded');
    } catch (error) {
      showError(`${file.name} was not loaded: ${messageOf(error)}. The model in use is unchanged.`);
    } finally {
      importInput.value = '';
    }
  });
}

void main();
