// What a training run shows while it goes: the progress bar with the time left, the status line,
// the loss chart (lossChart.ts) and a row of scores after each epoch.
import { byId, downloaded, percent, seconds } from '../shared/ui';
import type { ChunkReport, TrainSettings } from '../worker/worker';
import { setupLossChart } from './lossChart';
import { epochsOf } from './trainForm';

export type EpochSummary = NonNullable<ChunkReport['epoch']>;

export class RunView {
  private readonly progress = byId<HTMLProgressElement>('train-progress');
  readonly status = byId('train-status');
  private readonly chart = setupLossChart();
  settings: TrainSettings | null = null;
  /** Steps of the whole run, also when it was resumed after a reload. */
  stepsDone = 0;
  /** Steps trained in this visit, and the time they took. */
  stepsHere = 0;
  activeMs = 0;
  private since = 0;

  /** A new run with `settings`: everything from zero. */
  clear(settings: TrainSettings): void {
    Object.assign(this, { settings, stepsDone: 0, stepsHere: 0, activeMs: 0 });
    this.progress.value = 0;
    byId('epoch-table').querySelector('tbody')!.replaceChildren();
    this.chart.clear();
  }

  /** The loop starts (or resumes) now. */
  started(): void {
    this.since = performance.now();
  }

  /** A chunk's steps: the chart, the progress and, if an epoch ended, its row. */
  show(report: ChunkReport): void {
    const now = performance.now();
    this.activeMs += now - this.since;
    this.since = now;
    const last = report.steps.at(-1);
    if (last) this.stepsDone = last.epoch * last.steps_per_epoch + last.step + 1;
    this.stepsHere += report.steps.length;
    this.chart.add(report.steps);
    if (last && this.settings) this.showProgress(last, this.settings);
    if (report.initialising_next) this.status.textContent = 'Grouping the codes (t-SNE, then k-means) to place the mixture…';
    if (report.relabelling) this.status.textContent = 'Self-training: labelling the training digits with the model’s own clusters…';
    if (report.epoch) addEpochRow(report.epoch);
  }

  /** Training speed in this visit, images per second. */
  imagesPerSecond(): number {
    return ((this.settings?.batch_size ?? 0) * this.stepsHere * 1000) / this.activeMs;
  }

  finished(): void {
    this.status.textContent = `Done: ${this.stepsDone} steps (${seconds(this.activeMs / 1000)} in this visit).`;
    this.progress.value = this.progress.max;
  }

  /** Downloads: the bar follows the bytes. */
  showDownload(loaded: number, total: number | null): void {
    this.progress.max = total ?? 1;
    this.progress.value = loaded;
    this.status.textContent = `Loading the 60,000 training digits: ${downloaded(loaded, total)}`;
  }

  private showProgress(last: ChunkReport['steps'][number], settings: TrainSettings): void {
    const total = totalSteps(settings, last.steps_per_epoch);
    this.progress.max = total;
    this.progress.value = this.stepsDone;
    const left = ((total - this.stepsDone) * this.activeMs) / Math.max(this.stepsHere, 1) / 1000;
    this.status.textContent = `Epoch ${last.epoch + 1} of ${last.total_epochs} (${last.stage.toLowerCase()}) · step ${last.step + 1} of ${last.steps_per_epoch} · about ${seconds(left)} left`;
  }
}

function addEpochRow({ report, scores }: EpochSummary): void {
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

function totalSteps(s: TrainSettings, stepsPerEpoch: number): number {
  return epochsOf(s) * stepsPerEpoch;
}
