// The page, once its entry (boot.ts) has started the worker and the pad: shows the backend, wires
// the sections, and keeps a worker running. All model work happens in the worker (www/worker/);
// the sections are in www/sections/, what they share in www/shared/.
import { modelChanged, type App } from './shared/app';
import type { Booted } from './shared/booted';
import { byId, clearError, detach, messageOf, percent, showError, showFailure, showNotice, WorkerReplaced } from './shared/ui';
import type { EarlyStart } from './shared/earlyStart';
import { CHOICE_KEY, startWorker, unavailable, type WorkerLink } from './shared/workerLink';
import { setupGenerateSection } from './sections/generate';
import { setupMapSection } from './sections/map';
import { setupModelFile } from './sections/modelFile';
import { setupOwnData, type OwnData } from './sections/ownData';
import { setupTrainSection, type TrainSection } from './sections/train';
import type { BackendChoice, BackendDecision } from './worker/backend';
import type { Fault } from './worker/worker';

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

interface Sections {
  train: TrainSection;
  ownData: OwnData;
}

/** Wires the other sections to the running model (the draw section answers from boot.ts). */
function setupSections({ app, draw, onDrawn, first }: Booted): Sections {
  const mapSection = setupMapSection(app);
  onDrawn((c) => mapSection.markDrawing(c));
  mapSection.markDrawing(draw.last); // a drawing answered before the map was there
  setupGenerateSection(app);
  // Import and own data would pull the model or the data from under a run: the train section's
  // state says when they may be used.
  let train: TrainSection | null = null;
  const modelFile = setupModelFile(app, () => train?.dataReplaced('the imported model'));
  const ownData = setupOwnData(app, () => train?.dataReplaced('your data'));
  train = setupTrainSection(app, mapSection, (controls) => {
    modelFile.setEnabled(controls.data);
    ownData.setEnabled(controls.data);
  });
  train.workerStarted(first.started.restored?.training ?? null, false);
  return { train, ownData };
}

/** Keeps one worker running: replaces it after a fault or to switch backend, and carries on
 *  where the page was (the saved model, a run that was training). */
class WorkerKeeper {
  private restarting = false;

  constructor(
    private readonly app: App,
    private link: WorkerLink,
    private readonly sections: () => Sections | null,
    private choice: () => BackendChoice,
  ) {}

  onFault = (fault: Fault): void => {
    if (this.restarting) return;
    if (fault.kind === 'device-lost') {
      const lost = `the GPU device was lost (${fault.message}); the CPU took over until the page is reloaded`;
      const notice = `The GPU stopped working (${fault.message}). The page moved to the CPU and goes on from the model saved in this browser.`;
      detach(this.restart('cpu', notice, lost), 'The model could not restart');
    } else {
      const notice = `The model's worker stopped (${fault.message}). It was restarted with the model saved in this browser.`;
      detach(this.restart(this.choice(), notice), 'The model could not restart');
    }
  };

  /** After a quick start (the CPU answered while the WebGPU build compiled in the worker): a
   *  worker on the WebGPU build takes over, handed the compiled build, with a run in progress
   *  saved first as when switching. If the build cannot be had, the CPU stays, and says why. */
  async upgrade(): Promise<void> {
    const link = this.link;
    let webgpuModule: WebAssembly.Module;
    try {
      webgpuModule = await link.api.webgpuBuild();
    } catch (error) {
      if (this.link !== link || error instanceof WorkerReplaced) return; // another worker runs now
      byId('backend-reason').textContent = `WebGPU's engine could not be loaded (${messageOf(error)}); the CPU trains`;
      return;
    }
    if (this.link !== link || this.restarting) return; // the user switched backend meanwhile
    await this.switchBackend({ webgpuModule });
    performance.mark('webgpu-ready');
  }

  /** Switching backend: a run in progress is saved first, so the new backend goes on from this
   *  very step. `early`: what the new worker is handed as it starts. */
  async switchBackend(early: EarlyStart = {}): Promise<void> {
    if (this.sections()?.train.isRunning()) await this.app.worker.saveNow().catch(() => undefined);
    await this.restart(this.choice(), null, undefined, early);
  }

  private async restart(backend: BackendChoice, notice: string | null, reason?: string, early: EarlyStart = {}): Promise<void> {
    if (this.restarting) return;
    this.restarting = true;
    const wasTraining = this.sections()?.train.isRunning() ?? false;
    byId('backend-badge').textContent = 'restarting…';
    this.link.end();
    try {
      const next = await startWorker(backend, this.onFault, Promise.resolve(early));
      this.link = next;
      this.app.worker = next.api;
      this.app.testImages = null;
      this.sections()?.ownData.reset(); // the new worker has MNIST, not the user's files
      showBackend(next.started.decision.backend, reason ?? next.started.decision.reason, reason ? undefined : next.started.decision);
      modelChanged(this.app, next.started.model, 'loaded');
      if (notice) showNotice(notice);
      this.sections()?.train.workerStarted(next.started.restored?.training ?? null, wasTraining);
      this.sections()?.train.backendChosen(next.started.decision);
    } catch (error) {
      // Every later call fails at once with this, rather than waiting on a dead worker.
      const message = `The model could not restart (${messageOf(error)}); reload the page to try again`;
      this.app.worker = unavailable(message);
      this.sections()?.train.workerStarted(null, false);
      byId('backend-badge').textContent = 'stopped';
      showError(message);
    } finally {
      this.restarting = false;
    }
  }
}

/** `booting`: the first worker and the draw section, started by boot.ts before this module
 *  loaded; the worker's faults go to the handler given to `onFault`. */
export async function main(booting: Promise<Booted>, onFault: (handler: (fault: Fault) => void) => void): Promise<void> {
  performance.mark('main-loaded');
  byId('error-close').addEventListener('click', clearError);
  const choiceSelect = byId<HTMLSelectElement>('backend-choice');
  choiceSelect.value = localStorage.getItem(CHOICE_KEY) ?? 'auto';
  const choice = () => choiceSelect.value as BackendChoice;
  let sections: Sections | null = null;
  let keeper: WorkerKeeper | null = null;
  onFault((fault) => keeper?.onFault(fault));

  let booted: Booted;
  try {
    booted = await booting;
  } catch (error) {
    showFailure('The model could not start', error);
    byId('model-status').textContent = 'The model could not start.';
    return;
  }
  const { app, first } = booted;
  const { started } = first;
  showBackend(started.decision.backend, started.decision.reason, started.decision);
  keeper = new WorkerKeeper(app, first, () => sections, choice);
  app.onModelChanged.push(() => showModelStatus(app));
  showModelStatus(app);
  if (started.restoreError) showError(started.restoreError);
  sections = setupSections(booted);
  sections.train.backendChosen(started.decision);
  if (started.decision.upgrade) detach(keeper.upgrade(), 'Could not move to WebGPU');

  // Switching backend starts a fresh worker (a WebGPU runtime cannot be swapped in place); the
  // model saved in this browser comes along.
  choiceSelect.addEventListener('change', () => {
    localStorage.setItem(CHOICE_KEY, choice());
    detach(keeper.switchBackend(), 'Could not switch backend');
  });
}
