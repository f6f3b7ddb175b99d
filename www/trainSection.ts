// Train: settings, start / pause / resume / back to the shipped model, a progress bar with time
// left, live curves of each loss term, scores after each epoch. The map, the grid and the
// drawing follow the model as it learns.
import * as Comlink from 'comlink';
import { modelChanged, type App } from './app';
import { autoResize, colour, echarts } from './charts';
import type { DownloadProgress } from './data';
import type { MapSection } from './mapSection';
import { byId, messageOf, percent, seconds, showError } from './ui';
import type { ChunkReport, TrainProgress, TrainSettings } from './worker';

const TERMS = ['total', 'reconstruction', 'kl_z', 'kl_y', 'anchor'] as const;
const TERM_NAMES: Record<(typeof TERMS)[number], string> = {
  total: 'total (−ELBO)',
  reconstruction: 'reconstruction',
  kl_z: 'KL z',
  kl_y: 'KL y',
  anchor: 'anchor',
};
/** Steps averaged into one point of the curves. */
const STEPS_PER_POINT = 10;

type State = 'idle' | 'loading' | 'running' | 'paused';

export interface TrainSection {
  /** Training is under way (or being set up). */
  isRunning(): boolean;
  /** Offers to resume a run saved in this browser (after a reload or a worker restart);
   *  `resumeNow` resumes it at once. */
  offerSaved(saved: TrainProgress | null, resumeNow: boolean): void;
}

export function setupTrainSection(app: App, map: MapSection): TrainSection {
  const trainButton = byId<HTMLButtonElement>('train-button');
  const pauseButton = byId<HTMLButtonElement>('pause-button');
  const progress = byId<HTMLProgressElement>('train-progress');
  const status = byId('train-status');
  const form = byId<HTMLFormElement>('train-form');
  const chartElement = byId('loss-chart');
  const chart = echarts.init(chartElement);
  autoResize(chart, chartElement);
  let state: State = 'idle';
  let settings: TrainSettings | null = null;
  let curves: Record<string, number[][]> = {};
  let pending: number[] = [];
  let pendingCount = 0;
  let stepsDone = 0;
  let stepsThisSession = 0;
  /** The run in the worker is not started yet: resuming means loading the saved one. */
  let resumeFromSave = false;
  let startedAt = 0;
  let activeMs = 0;

  function setState(next: State): void {
    state = next;
    trainButton.disabled = next === 'loading' || next === 'running';
    trainButton.textContent = next === 'paused' ? 'Restart' : 'Train';
    pauseButton.disabled = next !== 'running' && next !== 'paused';
    pauseButton.textContent = next === 'paused' ? 'Resume' : 'Pause';
    for (const input of form.querySelectorAll('input')) input.disabled = next === 'running' || next === 'loading';
  }

  function readSettings(): TrainSettings {
    const value = (name: string) => Number((form.elements.namedItem(name) as HTMLInputElement).value);
    return {
      components: value('components'),
      latent_dim: value('latent_dim'),
      pretrain_epochs: value('pretrain_epochs'),
      anchor_epochs: value('anchor_epochs'),
      epochs: value('epochs'),
      batch_size: value('batch_size'),
      learning_rate: value('learning_rate'),
      init_sample: value('init_sample'),
      seed: value('seed'),
    };
  }

  function fillForm(s: TrainSettings): void {
    for (const [name, value] of Object.entries(s)) {
      const input = form.elements.namedItem(name) as HTMLInputElement | null;
      if (input) input.value = String(value);
    }
  }

  function totalSteps(s: TrainSettings, stepsPerEpoch: number): number {
    const anchor = s.pretrain_epochs > 0 ? s.anchor_epochs : 0;
    return (s.pretrain_epochs + anchor + s.epochs) * stepsPerEpoch;
  }

  function drawCurves(): void {
    chart.setOption({
      animation: false,
      grid: { left: 50, right: 16, top: 40, bottom: 36 },
      legend: { top: 0, textStyle: { fontSize: 11 } },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 24, min: 0 },
      yAxis: { type: 'log', name: 'loss (nats / digit)', scale: true },
      series: TERMS.map((term, i) => ({
        type: 'line',
        name: TERM_NAMES[term],
        data: curves[term] ?? [],
        showSymbol: false,
        lineStyle: { width: term === 'total' ? 2 : 1.2 },
        itemStyle: { color: colour(i) },
      })),
    });
  }

  function onChunk(report: ChunkReport): void {
    const now = performance.now();
    activeMs += now - startedAt;
    startedAt = now;
    for (const step of report.steps) {
      // Steps of the whole run, also when it was resumed after a reload.
      stepsDone = step.epoch * step.steps_per_epoch + step.step + 1;
      stepsThisSession += 1;
      const values = TERMS.map((t) => step.terms[t]);
      pending = pending.length ? pending.map((v, i) => v + values[i]) : values;
      pendingCount += 1;
      if (pendingCount === STEPS_PER_POINT) {
        TERMS.forEach((t, i) => {
          const mean = pending[i] / pendingCount;
          if (mean > 0) (curves[t] ??= []).push([stepsDone, mean]);
        });
        // The first and latest point of the total, for tests and for screen readers.
        const total = curves.total ?? [];
        if (total.length) {
          chartElement.dataset.firstLoss = String(total[0][1]);
          chartElement.dataset.lastLoss = String(total[total.length - 1][1]);
          chartElement.setAttribute('aria-label', `Loss per step: from ${total[0][1].toFixed(1)} to ${total[total.length - 1][1].toFixed(1)}`);
        }
        pending = [];
        pendingCount = 0;
      }
    }
    const last = report.steps.at(-1);
    if (last && settings) {
      const total = totalSteps(settings, last.steps_per_epoch);
      progress.max = total;
      progress.value = stepsDone;
      const left = ((total - stepsDone) * activeMs) / Math.max(stepsThisSession, 1) / 1000;
      status.textContent = `Epoch ${last.epoch + 1} of ${last.total_epochs} (${last.stage.toLowerCase()}) · step ${last.step + 1} of ${last.steps_per_epoch} · about ${seconds(left)} left`;
    }
    if (report.initialising_next) status.textContent = 'Grouping the codes (t-SNE, then k-means) to place the mixture…';
    drawCurves();
    if (report.epoch) {
      const { report: epoch, scores } = report.epoch;
      const row = document.createElement('tr');
      const cells = [
        String(epoch.epoch + 1),
        epoch.stage.toLowerCase(),
        epoch.mean_terms.total.toFixed(1),
        scores ? percent(scores.accuracy) : '–',
        scores ? scores.nmi.toFixed(3) : '–',
      ];
      row.replaceChildren(...cells.map((text) => Object.assign(document.createElement('td'), { textContent: text })));
      byId('epoch-table').querySelector('tbody')!.append(row);
      app.worker
        .info()
        .then((model) => modelChanged(app, model, 'epoch'))
        .catch((error) => showError(`Could not read the model after the epoch: ${messageOf(error)}`));
    } else if (report.steps.length) {
      modelChanged(app, app.model, 'step');
    }
  }

  async function run(): Promise<void> {
    setState('running');
    startedAt = performance.now();
    try {
      const outcome = await app.worker.trainRun(Comlink.proxy(onChunk));
      if (outcome === 'finished') {
        setState('idle');
        status.textContent = `Done: ${stepsDone} steps (${seconds(activeMs / 1000)} in this visit).`;
        progress.value = progress.max;
        modelChanged(app, await app.worker.info(), 'loaded');
      } else {
        setState('paused');
        status.textContent = `Paused after ${stepsDone} steps; saved in this browser.`;
      }
    } catch (error) {
      setState('paused');
      showError(`Training stopped: ${messageOf(error)}`);
      status.textContent = 'Training stopped; the model keeps its last good weights.';
      // The worker may be the reason (restarted meanwhile): then the restart reports the model.
      await app.worker.info().then((model) => modelChanged(app, model, 'loaded'), () => undefined);
    }
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
  }

  /** Resumes the run saved with the model in this browser. */
  async function resumeSaved(): Promise<void> {
    setState('loading');
    try {
      await loadTrainingData();
      await map.ensureTestSet();
      modelChanged(app, await app.worker.trainResume(), 'loaded');
      resumeFromSave = false;
      await run();
    } catch (error) {
      setState('paused');
      showError(`Training could not resume: ${messageOf(error)}`);
      status.textContent = 'The saved run could not resume.';
    }
  }

  /** The first field the browser finds invalid (empty, out of range, not a whole number), with
   *  its label and the browser's message; the core checks the values again (TrainSettings). */
  function invalidField(): string | null {
    for (const input of form.querySelectorAll('input')) {
      if (input.checkValidity()) continue;
      const label = input.closest('label')?.firstChild?.textContent?.trim() ?? input.name;
      return `${label}: ${input.validationMessage}`;
    }
    return null;
  }

  async function start(): Promise<void> {
    const invalid = invalidField();
    if (invalid) {
      form.reportValidity(); // the browser's message beside the field
      status.textContent = `Not started: ${invalid}`;
      return;
    }
    setState('loading');
    try {
      settings = readSettings();
      await loadTrainingData();
      await map.ensureTestSet();
      const model = await app.worker.trainBegin(settings);
      curves = {};
      delete chartElement.dataset.firstLoss;
      delete chartElement.dataset.lastLoss;
      pending = [];
      pendingCount = 0;
      stepsDone = 0;
      stepsThisSession = 0;
      activeMs = 0;
      resumeFromSave = false;
      progress.value = 0;
      byId('epoch-table').querySelector('tbody')!.replaceChildren();
      drawCurves();
      modelChanged(app, model, 'loaded');
      await run();
    } catch (error) {
      setState('idle');
      showError(`Training could not start: ${messageOf(error)}`);
      status.textContent = 'Not training.';
    }
  }

  trainButton.addEventListener('click', () => void start());
  pauseButton.addEventListener('click', () => {
    if (state === 'running') void app.worker.pause();
    else if (state === 'paused') void (resumeFromSave ? resumeSaved() : run());
  });
  byId('reset-button').addEventListener('click', async () => {
    try {
      await app.worker.trainStop();
      modelChanged(app, await app.worker.loadShipped(), 'loaded');
      setState('idle');
      status.textContent = 'Back to the shipped model.';
    } catch (error) {
      showError(messageOf(error));
    }
  });
  drawCurves();
  setState('idle');

  return {
    isRunning: () => state === 'running' || state === 'loading',
    offerSaved(saved: TrainProgress | null, resumeNow: boolean): void {
      if (!saved || saved.epochs_done >= saved.total_epochs) {
        setState('idle');
        return;
      }
      settings = saved.settings;
      fillForm(saved.settings);
      resumeFromSave = true;
      setState('paused');
      status.textContent = `A run saved in this browser stopped in epoch ${saved.epochs_done + 1} of ${saved.total_epochs} (step ${saved.steps_done}): Resume goes on from there.`;
      status.dataset.savedEpoch = String(saved.epochs_done);
      status.dataset.savedStep = String(saved.steps_done);
      if (resumeNow) void resumeSaved();
    },
  };
}
