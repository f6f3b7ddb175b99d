// Train: settings (trainForm.ts), start / pause / resume / back to the shipped model under one
// state machine (trainState.ts), a progress bar with time left, live curves of each loss term
// (lossChart.ts), scores after each epoch. The map, the grid and the drawing follow the model as
// it learns.
import * as Comlink from 'comlink';
import { modelChanged, type App } from '../shared/app';
import { byId, detach, percent, seconds, showFailure } from '../shared/ui';
import type { DownloadProgress } from '../worker/download';
import type { ChunkReport, TrainProgress, TrainSettings } from '../worker/worker';
import { setupLossChart } from './lossChart';
import type { MapSection } from './map';
import { setupTrainForm } from './trainForm';
import { TrainController, type Controls, type TrainState } from './trainState';

export interface TrainSection {
  /** Training (or getting ready to) in the current worker. */
  isRunning(): boolean;
  /** A new worker started (the page's start, or a restart after a fault or a backend switch):
   *  offers the run saved in this browser, resumed at once with `resumeNow`. */
  workerStarted(saved: TrainProgress | null, resumeNow: boolean): void;
  /** The model or the data was replaced by the user (import, own files): a paused run is given up. */
  dataReplaced(what: string): void;
}

/** `onControls`: what the rest of the page may do now (import, own data). */
export function setupTrainSection(app: App, map: MapSection, onControls: (controls: Controls) => void): TrainSection {
  const trainButton = byId<HTMLButtonElement>('train-button');
  const pauseButton = byId<HTMLButtonElement>('pause-button');
  const resetButton = byId<HTMLButtonElement>('reset-button');
  const progress = byId<HTMLProgressElement>('train-progress');
  const status = byId('train-status');
  const form = setupTrainForm();
  const chart = setupLossChart();
  const run = { settings: null as TrainSettings | null, stepsDone: 0, stepsHere: 0, activeMs: 0, since: 0 };
  /** The run in the worker is not started yet: resuming means loading the saved one. */
  let resumeFromSave = false;

  const controller = new TrainController((state: TrainState, controls: Controls) => {
    trainButton.disabled = !controls.train;
    trainButton.textContent = state === 'paused' ? 'Restart' : 'Train';
    pauseButton.disabled = !controls.pauseOrResume;
    pauseButton.textContent = state === 'paused' ? 'Resume' : 'Pause';
    resetButton.disabled = !controls.reset;
    form.setEnabled(controls.settings);
    byId('train').dataset.state = state;
    onControls(controls);
  });

  function showProgress(report: ChunkReport): void {
    const last = report.steps.at(-1);
    if (last && run.settings) {
      const total = totalSteps(run.settings, last.steps_per_epoch);
      progress.max = total;
      progress.value = run.stepsDone;
      const left = ((total - run.stepsDone) * run.activeMs) / Math.max(run.stepsHere, 1) / 1000;
      status.textContent = `Epoch ${last.epoch + 1} of ${last.total_epochs} (${last.stage.toLowerCase()}) · step ${last.step + 1} of ${last.steps_per_epoch} · about ${seconds(left)} left`;
    }
    if (report.initialising_next) status.textContent = 'Grouping the codes (t-SNE, then k-means) to place the mixture…';
  }

  function addEpochRow(epoch: NonNullable<ChunkReport['epoch']>): void {
    const { report, scores } = epoch;
    const cells = [
      String(report.epoch + 1),
      report.stage.toLowerCase(),
      report.mean_terms.total.toFixed(1),
      scores ? percent(scores.accuracy) : '–',
      scores ? scores.nmi.toFixed(3) : '–',
    ];
    const row = document.createElement('tr');
    row.replaceChildren(...cells.map((text) => Object.assign(document.createElement('td'), { textContent: text })));
    byId('epoch-table').querySelector('tbody')!.append(row);
  }

  function onChunk(report: ChunkReport, ticket: number): void {
    if (controller.stale(ticket)) return;
    const now = performance.now();
    run.activeMs += now - run.since;
    run.since = now;
    const last = report.steps.at(-1);
    if (last) run.stepsDone = last.epoch * last.steps_per_epoch + last.step + 1;
    run.stepsHere += report.steps.length;
    chart.add(report.steps);
    showProgress(report);
    if (report.epoch) {
      addEpochRow(report.epoch);
      map.epochDone(`after epoch ${report.epoch.report.epoch + 1} (${report.epoch.report.stage.toLowerCase()})`);
      detach(
        app.worker.info().then((model) => modelChanged(app, model, 'epoch')),
        'Could not read the model after the epoch',
      );
    } else if (report.steps.length) {
      modelChanged(app, app.model, 'step');
    }
  }

  /** The training loop in the worker, until it finishes, pauses or fails. */
  async function trainLoop(ticket: number): Promise<void> {
    controller.move('training', ticket);
    run.since = performance.now();
    const loop = app.worker.trainRun(Comlink.proxy((report: ChunkReport) => onChunk(report, ticket)));
    controller.loopStarted(loop);
    try {
      const outcome = await loop;
      // A reset waits for this loop and then owns the state; a replaced worker's loop is over.
      if (controller.stale(ticket) || controller.state === 'stopping') return;
      form.measured(((run.settings?.batch_size ?? 0) * run.stepsHere * 1000) / run.activeMs);
      if (outcome === 'finished') await finished(ticket);
      else {
        controller.move('paused', ticket);
        status.textContent = `Paused after ${run.stepsDone} steps; saved in this browser.`;
      }
    } catch (error) {
      if (controller.stale(ticket) || controller.state === 'stopping') return;
      controller.move('paused', ticket);
      showFailure('Training stopped', error);
      status.textContent = 'Training stopped; the model keeps its last good weights.';
      await app.worker.info().then((model) => modelChanged(app, model, 'loaded'), () => undefined);
    }
  }

  async function finished(ticket: number): Promise<void> {
    controller.move('idle', ticket);
    status.textContent = `Done: ${run.stepsDone} steps (${seconds(run.activeMs / 1000)} in this visit).`;
    progress.value = progress.max;
    modelChanged(app, await app.worker.info(), 'loaded');
  }

  async function loadTrainingData(): Promise<void> {
    status.textContent = 'Loading the training digits…';
    await app.worker.loadTrainSet(
      Comlink.proxy((p: DownloadProgress) => {
        progress.max = p.total ?? 1;
        progress.value = p.loaded;
        status.textContent = `Loading the 60,000 training digits: ${(p.loaded / 1e6).toFixed(1)} MB${p.total ? ` of ${(p.total / 1e6).toFixed(1)} MB` : ''}`;
      }),
    );
    await map.ensureTestSet();
  }

  /** Resumes the run saved with the model in this browser. */
  async function resumeSaved(): Promise<void> {
    const ticket = controller.ticket();
    controller.move('loading', ticket);
    try {
      await loadTrainingData();
      const model = await app.worker.trainResume();
      if (controller.stale(ticket)) return;
      modelChanged(app, model, 'loaded');
      resumeFromSave = false;
      await trainLoop(ticket);
    } catch (error) {
      if (!controller.move('paused', ticket)) return;
      showFailure('Training could not resume', error);
      status.textContent = 'The saved run could not resume.';
    }
  }

  function clearRun(settings: TrainSettings): void {
    Object.assign(run, { settings, stepsDone: 0, stepsHere: 0, activeMs: 0 });
    resumeFromSave = false;
    progress.value = 0;
    byId('epoch-table').querySelector('tbody')!.replaceChildren();
    chart.clear();
  }

  async function start(): Promise<void> {
    const invalid = form.invalid();
    if (invalid) {
      status.textContent = `Not started: ${invalid}`;
      return;
    }
    const ticket = controller.ticket();
    controller.move('loading', ticket);
    try {
      const settings = form.read();
      await loadTrainingData();
      const model = await app.worker.trainBegin(settings);
      if (controller.stale(ticket)) return;
      clearRun(settings);
      map.runStarted();
      modelChanged(app, model, 'loaded');
      await trainLoop(ticket);
    } catch (error) {
      if (!controller.move('idle', ticket)) return;
      showFailure('Training could not start', error);
      status.textContent = 'Not training.';
    }
  }

  /** Back to the shipped model: a run under way is paused first, and its loop's last save is
   *  awaited, so that forgetting the saved model comes after it (not before, to be re-created). */
  async function backToShipped(): Promise<void> {
    const ticket = controller.ticket();
    const wasTraining = controller.state === 'training';
    controller.move('stopping', ticket);
    try {
      if (wasTraining) await app.worker.pause();
      await controller.loopEnd();
      await app.worker.trainStop();
      const model = await app.worker.loadShipped();
      if (!controller.move('idle', ticket)) return;
      resumeFromSave = false;
      delete status.dataset.savedEpoch;
      modelChanged(app, model, 'loaded');
      status.textContent = 'Back to the shipped model.';
    } catch (error) {
      if (!controller.move('idle', ticket)) return;
      showFailure('Could not go back to the shipped model', error);
    }
  }

  trainButton.addEventListener('click', () => detach(start(), 'Training could not start'));
  pauseButton.addEventListener('click', () => {
    if (controller.state === 'training') detach(app.worker.pause(), 'Could not pause');
    else if (controller.state === 'paused') detach(resumeFromSave ? resumeSaved() : trainLoop(controller.ticket()), 'Could not resume');
  });
  resetButton.addEventListener('click', () => detach(backToShipped(), 'Could not go back to the shipped model'));

  return {
    isRunning: () => controller.busy,
    workerStarted(saved, resumeNow): void {
      const resumable = saved !== null && saved.epochs_done < saved.total_epochs;
      controller.workerReplaced(resumable ? 'paused' : 'idle');
      if (!saved || !resumable) return;
      run.settings = saved.settings;
      form.fill(saved.settings);
      resumeFromSave = true;
      status.textContent = `A run saved in this browser stopped in epoch ${saved.epochs_done + 1} of ${saved.total_epochs} (step ${saved.steps_done}): Resume goes on from there.`;
      status.dataset.savedEpoch = String(saved.epochs_done);
      status.dataset.savedStep = String(saved.steps_done);
      if (resumeNow) detach(resumeSaved(), 'Training could not resume');
    },
    dataReplaced(what): void {
      if (controller.state !== 'paused') return;
      controller.move('idle');
      resumeFromSave = false;
      status.textContent = `The paused run was given up for ${what}.`;
    },
  };
}

function totalSteps(s: TrainSettings, stepsPerEpoch: number): number {
  const anchor = s.pretrain_epochs > 0 ? s.anchor_epochs : 0;
  return (s.pretrain_epochs + anchor + s.epochs) * stepsPerEpoch;
}
