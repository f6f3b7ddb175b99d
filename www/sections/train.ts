// Train: settings (trainForm.ts), start / pause / resume / back to the shipped model under one
// state machine (trainState.ts), and the run as it goes (trainRun.ts: progress, loss curves,
// scores after each epoch). The map, the grid and the drawing follow the model as it learns.
import * as Comlink from 'comlink';
import { modelChanged, type App } from '../shared/app';
import { byId, detach, showFailure } from '../shared/ui';
import type { DownloadProgress } from '../worker/download';
import type { BackendDecision } from '../worker/backend';
import type { ChunkReport, TrainProgress } from '../worker/worker';
import type { MapSection } from './map';
import { setupTrainForm, type TrainForm } from './trainForm';
import { RunView } from './trainRun';
import { TrainController, type Controls, type TrainState } from './trainState';

export interface TrainSection {
  /** Training (or getting ready to) in the current worker. */
  isRunning(): boolean;
  /** A new worker started (the page's start, or a restart after a fault or a backend switch):
   *  offers the run saved in this browser, resumed at once with `resumeNow`. */
  workerStarted(saved: TrainProgress | null, resumeNow: boolean): void;
  /** The model or the data was replaced by the user (import, own files): a paused run is given up. */
  dataReplaced(what: string): void;
  /** The worker chose its backend: on WebGPU chosen by timing, the form's estimates (and, on a
   *  fast GPU, its preset) follow the speed measured. */
  backendChosen(decision: BackendDecision): void;
}

/** `onControls`: what the rest of the page may do now (import, own data). */
export function setupTrainSection(app: App, map: MapSection, onControls: (controls: Controls) => void): TrainSection {
  return new TrainPanel(app, map, onControls);
}

class TrainPanel implements TrainSection {
  private readonly trainButton = byId<HTMLButtonElement>('train-button');
  private readonly pauseButton = byId<HTMLButtonElement>('pause-button');
  private readonly resetButton = byId<HTMLButtonElement>('reset-button');
  private readonly form: TrainForm = setupTrainForm();
  private readonly run = new RunView();
  private readonly controller: TrainController;
  /** The run in the worker is not started yet: resuming means loading the saved one. */
  private resumeFromSave = false;

  constructor(
    private readonly app: App,
    private readonly map: MapSection,
    onControls: (controls: Controls) => void,
  ) {
    this.controller = new TrainController((state, controls) => {
      this.showControls(state, controls);
      onControls(controls);
    });
    this.trainButton.addEventListener('click', () => detach(this.start(), 'Training could not start'));
    this.pauseButton.addEventListener('click', () => this.pauseOrResume());
    this.resetButton.addEventListener('click', () => detach(this.backToShipped(), 'Could not go back to the shipped model'));
  }

  isRunning(): boolean {
    return this.controller.busy;
  }

  backendChosen(decision: BackendDecision): void {
    if (decision.backend === 'webgpu' && decision.speeds && !this.isRunning()) this.form.gpuMeasured(decision.speeds.webgpu);
  }

  workerStarted(saved: TrainProgress | null, resumeNow: boolean): void {
    const resumable = saved !== null && saved.epochs_done < saved.total_epochs;
    this.controller.workerReplaced(resumable ? 'paused' : 'idle');
    if (!saved || !resumable) return;
    this.run.settings = saved.settings;
    this.form.fill(saved.settings);
    this.resumeFromSave = true;
    const status = this.run.status;
    status.textContent = `A run saved in this browser stopped in epoch ${saved.epochs_done + 1} of ${saved.total_epochs} (step ${saved.steps_done}): Resume goes on from there.`;
    status.dataset.savedEpoch = String(saved.epochs_done);
    status.dataset.savedStep = String(saved.steps_done);
    if (resumeNow) detach(this.resumeSaved(), 'Training could not resume');
  }

  dataReplaced(what: string): void {
    if (this.controller.state !== 'paused') return;
    this.controller.move('idle');
    this.resumeFromSave = false;
    this.run.status.textContent = `The paused run was given up for ${what}.`;
  }

  private showControls(state: TrainState, controls: Controls): void {
    this.trainButton.disabled = !controls.train;
    this.trainButton.textContent = state === 'paused' ? 'Restart' : 'Train';
    this.pauseButton.disabled = !controls.pauseOrResume;
    this.pauseButton.textContent = state === 'paused' ? 'Resume' : 'Pause';
    this.resetButton.disabled = !controls.reset;
    this.form.setEnabled(controls.settings);
    byId('train').dataset.state = state;
  }

  private pauseOrResume(): void {
    const state = this.controller.state;
    if (state === 'training') detach(this.app.worker.pause(), 'Could not pause');
    else if (state === 'paused') detach(this.resumeFromSave ? this.resumeSaved() : this.trainLoop(this.controller.ticket()), 'Could not resume');
  }

  private async start(): Promise<void> {
    const invalid = this.form.invalid();
    if (invalid) {
      this.run.status.textContent = `Not started: ${invalid}`;
      return;
    }
    const ticket = this.controller.ticket();
    this.controller.move('loading', ticket);
    try {
      const settings = this.form.read();
      await this.loadTrainingData();
      const model = await this.app.worker.trainBegin(settings);
      if (this.controller.stale(ticket)) return;
      this.run.clear(settings);
      this.resumeFromSave = false;
      this.map.runStarted();
      modelChanged(this.app, model, 'loaded');
      await this.trainLoop(ticket);
    } catch (error) {
      if (!this.controller.move('idle', ticket)) return;
      showFailure('Training could not start', error);
      this.run.status.textContent = 'Not training.';
    }
  }

  /** Resumes the run saved with the model in this browser. */
  private async resumeSaved(): Promise<void> {
    const ticket = this.controller.ticket();
    this.controller.move('loading', ticket);
    try {
      await this.loadTrainingData();
      const model = await this.app.worker.trainResume();
      if (this.controller.stale(ticket)) return;
      modelChanged(this.app, model, 'loaded');
      this.resumeFromSave = false;
      await this.trainLoop(ticket);
    } catch (error) {
      if (!this.controller.move('paused', ticket)) return;
      showFailure('Training could not resume', error);
      this.run.status.textContent = 'The saved run could not resume.';
    }
  }

  private async loadTrainingData(): Promise<void> {
    this.run.status.textContent = 'Loading the training digits…';
    await this.app.worker.loadTrainSet(Comlink.proxy((p: DownloadProgress) => this.run.showDownload(p.loaded, p.total)));
    await this.map.ensureTestSet();
  }

  /** The training loop in the worker, until it finishes, pauses or fails. */
  private async trainLoop(ticket: number): Promise<void> {
    this.controller.move('training', ticket);
    this.run.started();
    const loop = this.app.worker.trainRun(Comlink.proxy((report: ChunkReport) => this.onChunk(report, ticket)));
    this.controller.loopStarted(loop);
    // A reset waits for this loop and then owns the state; a replaced worker's loop is over.
    const ended = () => this.controller.stale(ticket) || this.controller.state === 'stopping';
    try {
      const outcome = await loop;
      if (ended()) return;
      this.form.measured(this.run.imagesPerSecond(), this.run.stepsHere);
      if (outcome === 'finished') await this.finished(ticket);
      else {
        this.controller.move('paused', ticket);
        this.run.status.textContent = `Paused after ${this.run.stepsDone} steps; saved in this browser.`;
      }
    } catch (error) {
      if (ended()) return;
      this.controller.move('paused', ticket);
      showFailure('Training stopped', error);
      this.run.status.textContent = 'Training stopped; the model keeps its last good weights.';
      await this.app.worker.info().then((model) => modelChanged(this.app, model, 'loaded'), () => undefined);
    }
  }

  private onChunk(report: ChunkReport, ticket: number): void {
    if (this.controller.stale(ticket)) return;
    this.run.show(report);
    if (report.epoch) {
      const { epoch, stage } = report.epoch.report;
      this.map.epochDone(`after epoch ${epoch + 1} (${stage.toLowerCase()})`);
      const after = this.app.worker.info().then((model) => modelChanged(this.app, model, 'epoch'));
      detach(after, 'Could not read the model after the epoch');
    } else if (report.steps.length) {
      modelChanged(this.app, this.app.model, 'step');
    }
  }

  private async finished(ticket: number): Promise<void> {
    this.controller.move('idle', ticket);
    this.run.finished();
    modelChanged(this.app, await this.app.worker.info(), 'loaded');
  }

  /** Waits for the training loop to end with its last save, saying so meanwhile: forgetting the
   *  saved model before that save lands would leave the save to re-create it. */
  private async lastSave(): Promise<void> {
    this.run.status.textContent = 'Saving the run before going back…';
    await this.controller.loopEnd();
  }

  /** Back to the shipped model: a run under way is paused first, and its loop's last save is
   *  awaited, so that forgetting the saved model comes after it (not before, to be re-created). */
  private async backToShipped(): Promise<void> {
    const ticket = this.controller.ticket();
    const wasTraining = this.controller.state === 'training';
    this.controller.move('stopping', ticket);
    try {
      if (wasTraining) await this.app.worker.pause();
      await this.lastSave();
      await this.app.worker.trainStop();
      const model = await this.app.worker.loadShipped();
      if (!this.controller.move('idle', ticket)) return;
      this.resumeFromSave = false;
      delete this.run.status.dataset.savedEpoch;
      modelChanged(this.app, model, 'loaded');
      this.run.status.textContent = 'Back to the shipped model.';
    } catch (error) {
      if (!this.controller.move('idle', ticket)) return;
      showFailure('Could not go back to the shipped model', error);
    }
  }
}
