// Draw: the pad, and live as the user draws the cluster, every cluster's probability, the
// reconstruction, the cluster's centre and (once the test digits are loaded) its typical digits.
import type { App } from '../shared/app';
import type { DrawPad } from '../shared/drawPad';
import { drawDigit, drawDigitGrid, IMAGE_PIXELS } from '../shared/images';
import { byId, detach, percent, showFailure } from '../shared/ui';
import type { Classification, ModelInfo } from '../worker/worker';

export interface DrawSection {
  /** The last result, for the map's "your drawing" marker. */
  last: Classification | null;
  refresh(): void;
  /** Resolves once no drawing waits for its answer (at once if none does). */
  whenAnswered(): Promise<void>;
}

/** `pad` was made at first paint (see boot.ts) and may already hold ink: it is answered now. */
export function setupDrawSection(app: App, pad: DrawPad, onResult: (result: Classification | null) => void): DrawSection {
  const result = byId('cluster-result');
  let prototypes: Float32Array | null = null;
  const { request, whenAnswered } = drawingRequests(app, pad, result, show);
  const section: DrawSection = { last: null, refresh: () => request(), whenAnswered };

  pad.onChange = () => request();

  function show(c: Classification | null): void {
    section.last = c;
    onResult(c);
    if (!c) return clearResult();
    showAnswer(c, app.model.majority);
    delete result.dataset.answeredBy;
    if (prototypes) drawDigit(byId<HTMLCanvasElement>('prototype'), prototypes, c.cluster * IMAGE_PIXELS);
    showTypical(app, c.cluster);
  }

  async function loadPrototypes(): Promise<void> {
    try {
      prototypes = await app.worker.prototypes();
    } catch (error) {
      showFailure('Could not decode the cluster centres', error);
    }
    request();
  }

  app.onModelChanged.push((reason) => {
    if (reason !== 'step') detach(loadPrototypes(), 'Could not decode the cluster centres');
    else request();
  });
  if (!pad.isEmpty) request(); // ink drawn while the model was loading
  detach(loadPrototypes(), 'Could not decode the cluster centres');
  return section;
}

/** Sends the pad's drawing to the worker to classify, one request in flight at a time; strokes
 *  made meanwhile are sent once it returns. `show` hears each answer (null for an empty pad). */
function drawingRequests(
  app: App,
  pad: DrawPad,
  result: HTMLElement,
  show: (c: Classification | null) => void,
): { request: () => void; whenAnswered: () => Promise<void> } {
  // The worker a request is in flight on: after a restart, the next drawing goes to the new one.
  let inFlightOn: unknown = null;
  let dirty = false;
  let answered: (() => void)[] = [];

  function request(): void {
    if (inFlightOn === app.worker) {
      dirty = true;
      return;
    }
    if (pad.isEmpty) {
      show(null);
      return;
    }
    const worker = app.worker;
    inFlightOn = worker;
    dirty = false;
    // Marks a result that is not yet the current drawing's (tests wait for it to go).
    result.dataset.pending = 'true';
    const { ink, width, height } = pad.ink();
    worker
      .classify(ink, width, height)
      .then((classification) => show(classification))
      .catch((error) => showFailure('Could not read the drawing', error))
      .finally(() => {
        if (inFlightOn === worker) {
          inFlightOn = null;
          if (dirty) request(); // sends nothing if the pad was cleared meanwhile
        }
        if (inFlightOn) return; // the next request is on its way (on this worker, or a restarted one)
        delete result.dataset.pending;
        for (const resolve of answered) resolve();
        answered = [];
      });
  }

  return {
    request,
    whenAnswered: () => (inFlightOn ? new Promise((resolve) => answered.push(resolve)) : Promise.resolve()),
  };
}

type Majority = ModelInfo['majority'];

/** A drawing's answer: its cluster, every cluster's probability, the model's input and its
 *  reconstruction (what the first answer shows too: boot.ts). */
export function showAnswer(c: Classification, majority: Majority): void {
  // Navigation to the first answer, for the benchmarks (and the browser's performance tools).
  if (performance.getEntriesByName('first-cluster').length === 0) performance.mark('first-cluster');
  showCluster(byId('cluster-result'), c, majority);
  showProbabilities(byId<HTMLOListElement>('cluster-probs'), c, majority);
  drawDigit(byId<HTMLCanvasElement>('model-input'), c.input);
  drawDigit(byId<HTMLCanvasElement>('reconstruction'), c.reconstruction);
}

function clearCanvas(canvas: HTMLCanvasElement): void {
  canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
}

/** No drawing: no answer. */
export function clearResult(): void {
  const result = byId('cluster-result');
  result.textContent = 'Draw a digit in the box.';
  result.removeAttribute('data-cluster');
  result.removeAttribute('data-majority-label');
  delete result.dataset.answeredBy;
  byId('cluster-probs').replaceChildren();
  for (const id of ['model-input', 'reconstruction', 'prototype']) clearCanvas(byId<HTMLCanvasElement>(id));
  byId('typical').hidden = true;
}

/** "Cluster 3: mostly 7s (97% of its test digits) · 99% sure". */
function showCluster(result: HTMLElement, c: Classification, majorities: Majority): void {
  const majority = majorities[c.cluster];
  result.dataset.cluster = String(c.cluster);
  if (majority) result.dataset.majorityLabel = String(majority[0]);
  else result.removeAttribute('data-majority-label');
  result.replaceChildren(
    Object.assign(document.createElement('strong'), { textContent: `Cluster ${c.cluster}` }),
    document.createTextNode(majority ? `: mostly ${majority[0]}s (${percent(majority[1], 0)} of its test digits)` : ''),
    Object.assign(document.createElement('span'), {
      className: 'confidence',
      textContent: ` · ${percent(c.probabilities[c.cluster])} sure`,
    }),
  );
}

/** One bar per cluster. */
function showProbabilities(probs: HTMLOListElement, c: Classification, majorities: Majority): void {
  probs.replaceChildren(
    ...Array.from(c.probabilities, (p, k) => {
      const item = document.createElement('li');
      item.className = k === c.cluster ? 'best' : '';
      const label = majorities[k];
      item.innerHTML = `<span class="k">${k}</span><span class="bar"><span style="width:${(100 * p).toFixed(1)}%"></span></span><span class="p">${percent(p, 0)}</span>`;
      item.title = label ? `cluster ${k}: mostly ${label[0]}s` : `cluster ${k}`;
      item.dataset.probability = String(p);
      return item;
    }),
  );
}

/** Test digits of `cluster`, once the map has them. */
function showTypical(app: App, cluster: number): void {
  const box = byId('typical');
  if (!app.map || !app.testImages) {
    box.hidden = true;
    return;
  }
  const picks: number[] = [];
  for (let i = 0; i < app.map.clusters.length && picks.length < 12; i++) {
    if (app.map.clusters[i] === cluster) picks.push(i);
  }
  const values = new Float32Array(picks.length * IMAGE_PIXELS);
  picks.forEach((index, j) => {
    for (let p = 0; p < IMAGE_PIXELS; p++) values[j * IMAGE_PIXELS + p] = app.testImages![index * IMAGE_PIXELS + p] / 255;
  });
  drawDigitGrid(byId<HTMLCanvasElement>('typical-grid'), values, 1, picks.length);
  box.hidden = picks.length === 0;
}
