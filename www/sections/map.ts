// Map: the test digits' latent means laid out on the PCA plane or by UMAP (mapLayouts.ts),
// coloured by cluster or true digit (mapChart.ts); hover shows the digit, the user's drawing is
// pinned; beside it the PCA plane's grid decoded. The same view of the two-step baseline (a plain
// VAE, then k-means), with its scores beside the model's. During training the PCA map follows the
// model every few seconds and keeps a frame per epoch to replay (mapReplay.ts). The test digits
// are fetched the first time the map (or training) needs them.
import * as Comlink from 'comlink';
import type { App } from '../shared/app';
import { autoResize, echarts } from '../shared/charts';
import { drawDigitGrid } from '../shared/images';
import { byId, detach, downloaded, messageOf, percent, showFailure } from '../shared/ui';
import type { DownloadProgress } from '../worker/download';
import type { BaselineView, Classification, MapView } from '../worker/worker';
import { majorities, paintMap, showScores, type MapPoints } from './mapChart';
import { UmapLayouts, type LayoutName } from './mapLayouts';
import { setupMapReplay, type Frame, type MapReplay } from './mapReplay';

const WALK_SIDE = 12;
/** During training the PCA map is recomputed this often. Encoding the test digits for it takes
 *  the worker from training: with the map in view a Quick run trains about 12% slower on the
 *  CPU (docs/page.md). */
const LIVE_REFRESH_MS = 4000;

export interface MapSection {
  ensureTestSet(): Promise<boolean>;
  markDrawing(c: Classification | null): void;
  /** A training run starts: its frames begin with the map before training. */
  runStarted(): void;
  /** An epoch ended: the next map is kept as a frame with this label. */
  epochDone(label: string): void;
}

export function showProgress(label: string, p: DownloadProgress): void {
  const bar = byId<HTMLProgressElement>('data-progress');
  bar.hidden = false;
  if (p.total) {
    bar.max = p.total;
    bar.value = Math.min(p.loaded, p.total);
  } else bar.removeAttribute('value');
  byId('map-status').textContent = `${label}: ${downloaded(p.loaded, p.total)}`;
}

interface Baseline {
  view: BaselineView;
  majority: MapPoints['majority'];
  /** The test digits it was computed on (own data replaces them). */
  forImages: Uint8Array;
}

export function setupMapSection(app: App): MapSection {
  return new LatentMap(app);
}

/** The user's drawing as a pin laid over the chart: moving it through ECharts re-ran the whole
 *  10,000-point chart on every stroke (~60 ms each), and drawing lagged. */
class Pin {
  private readonly pin = Object.assign(document.createElement('div'), { className: 'map-pin', title: 'your drawing' });

  constructor(
    private readonly chart: echarts.ECharts,
    private readonly element: HTMLElement,
  ) {
    this.pin.dataset.testid = 'map-pin';
    this.pin.hidden = true;
    element.parentElement!.append(this.pin);
  }

  /** At `at` in the chart's coordinates, or hidden for null. */
  place(at: [number, number] | null): void {
    const pixel = at ? this.chart.convertToPixel({ xAxisIndex: 0, yAxisIndex: 0 }, at) : null;
    this.pin.hidden = !pixel;
    if (pixel) this.pin.style.translate = `${this.element.offsetLeft + pixel[0]}px ${this.element.offsetTop + pixel[1]}px`;
  }
}

class LatentMap implements MapSection {
  private readonly element = byId('latent-map');
  private readonly chart = echarts.init(this.element, undefined, { renderer: 'canvas' });
  private readonly status = byId('map-status');
  private readonly colourBy = byId<HTMLSelectElement>('map-colour');
  private readonly layoutSelect = byId<HTMLSelectElement>('map-layout');
  private readonly sourceSelect = byId<HTMLSelectElement>('map-source');
  /** The baseline on the test digits it was computed for, with what each k-means group mostly holds. */
  private baseline: Baseline | null = null;
  private readonly layouts = new UmapLayouts();
  private readonly pin = new Pin(this.chart, this.element);
  private readonly replay: MapReplay;
  /** The UMAP layout of a map, once computed (or as it forms). */
  private umap: { map: MapView; positions: Float32Array } | null = null;
  private replaying: Frame | null = null;
  private frameLabel: string | null = null;
  private lastLive = 0;
  private visible = false;
  /** The drawing: its place on the PCA plane and its code (placed on UMAP by its neighbours). */
  private drawnPca: [number, number] | null = null;
  private drawnCode: Float32Array | null = null;
  private drawing: [number, number] | null = null;
  // Loads and renders in progress, with the worker they run on (a restarted worker's
  // predecessor never answers, so they start over on the new one).
  private loading: Promise<boolean> | null = null;
  private loadingOn: unknown = null;
  private renderingOn: unknown = null;
  /** A render asked for while one was in flight: done when that one ends. */
  private renderAgain = false;
  /** The model in use is a run's, changing as it trains. */
  private training = false;

  constructor(private readonly app: App) {
    autoResize(this.chart, this.element);
    this.chart.on('finished', () => this.placePin()); // after resizes too
    this.replay = setupMapReplay((frame) => {
      this.replaying = frame;
      this.paint();
    });
    this.colourBy.addEventListener('change', () => this.paint());
    this.layoutSelect.addEventListener('change', () => this.layoutChanged());
    this.sourceSelect.addEventListener('change', () => this.refresh());
    new IntersectionObserver((entries) => {
      this.visible = entries.some((e) => e.isIntersecting);
      if (this.visible && !app.map) this.refresh();
    }).observe(this.element);
    app.onModelChanged.push((reason) => {
      this.training = reason !== 'loaded';
      if (reason === 'step') return this.liveRefresh();
      this.showScores();
      if (this.visible || app.testImages) this.refresh();
    });
  }

  private get layout(): LayoutName {
    return this.layoutSelect.value as LayoutName;
  }

  private get showingBaseline(): boolean {
    return this.sourceSelect.value === 'baseline';
  }

  /** The map on show: the model's, or the baseline's. */
  private current(): MapView | null {
    if (this.showingBaseline) return this.baselineNow()?.view.map ?? null;
    return this.app.map;
  }

  /** The baseline, if computed on the test digits in use now. */
  private baselineNow(): Baseline | null {
    return this.baseline && this.baseline.forImages === this.app.testImages ? this.baseline : null;
  }

  private showScores(): void {
    showScores(byId('scores'), this.app.model, this.baselineNow()?.view.scores ?? null);
  }

  async ensureTestSet(): Promise<boolean> {
    if (this.app.testImages) return true;
    if (this.loadingOn !== this.app.worker) this.loading = null;
    this.loadingOn = this.app.worker;
    this.loading ??= this.loadTestSet();
    return this.loading;
  }

  markDrawing(c: Classification | null): void {
    this.drawnPca = c?.map_position ?? null;
    this.drawnCode = c?.mean ?? null;
    this.drawing = this.drawnPca;
    if (this.layout === 'umap' && this.drawnCode) detach(this.pinDrawing(), 'Could not place the drawing');
    else this.placePin();
  }

  runStarted(): void {
    this.replay.clear();
    this.frameLabel = 'before training';
  }

  epochDone(label: string): void {
    this.frameLabel = label;
  }

  private async loadTestSet(): Promise<boolean> {
    try {
      const progress = Comlink.proxy((p: DownloadProgress) => showProgress('Test digits', p));
      const { model, images } = await this.app.worker.loadTestSet(progress);
      this.app.testImages = images;
      this.app.model = model;
      byId('data-progress').hidden = true;
      this.status.textContent = 'Encoding the test digits…';
      return true;
    } catch (error) {
      showFailure('Could not load the test digits', error);
      this.status.textContent = 'The test digits could not be loaded.';
      this.loading = null;
      return false;
    }
  }

  /** Draws the map; `fresh` asks the worker for a new one even if one is in hand (which stays
   *  in use, with the drawing's pin on it, until the new one arrives). */
  private refresh(fresh = false): void {
    detach(this.render(fresh), 'Could not draw the map');
  }

  private async render(fresh = false): Promise<void> {
    if (this.renderingOn === this.app.worker) {
      this.renderAgain = true; // e.g. the source changed meanwhile: the render in flight is of the old one
      return;
    }
    if (!(await this.ensureTestSet())) return;
    const worker = this.app.worker;
    this.renderingOn = worker;
    try {
      const map = !fresh && this.app.map ? this.app.map : (this.app.map = await worker.latentMap());
      this.element.dataset.renders = String(Number(this.element.dataset.renders ?? 0) + 1);
      if (this.frameLabel !== null) this.replay.add({ label: this.frameLabel, positions: map.positions, clusters: map.clusters });
      this.frameLabel = null;
      if (this.showingBaseline) await this.loadBaseline();
      const shown = this.current() ?? map;
      this.element.dataset.source = this.showingBaseline ? 'baseline' : 'model';
      this.paint();
      this.showScores();
      const [ex, ey] = shown.explained;
      const whose = this.showingBaseline ? "the baseline VAE's codes, grouped by k-means" : "the model's codes";
      this.status.textContent = `${shown.clusters.length.toLocaleString()} digits · ${whose} · the PCA axes hold ${percent(ex + ey, 0)} of their spread`;
      const grid = await worker.walkMap(WALK_SIDE, WALK_SIDE);
      drawDigitGrid(byId<HTMLCanvasElement>('walk-grid'), grid, WALK_SIDE, WALK_SIDE);
      byId('walk-hint').textContent = this.showingBaseline
        ? "Codes on a 12 x 12 grid over this model's PCA plane, decoded (the baseline's plane is not walked)."
        : 'Codes on a 12 x 12 grid over the PCA plane, decoded.';
      if (this.layout === 'umap') await this.showUmap(shown);
    } catch (error) {
      // Mid-run (e.g. weights diverging before training reports the NaN) the map says so and is
      // drawn again as training goes on; the banner is left to training's own message.
      if (this.training) this.status.textContent = `The map could not be drawn for the model as it trains now (${messageOf(error)}).`;
      else showFailure('Could not draw the map', error);
    } finally {
      if (this.renderingOn === worker) this.renderingOn = null;
      if (this.renderAgain && !this.renderingOn) {
        this.renderAgain = false;
        this.refresh();
      }
    }
  }

  /** The baseline on the test digits in use (computed once for them, in the model's worker). */
  private async loadBaseline(): Promise<void> {
    if (this.baselineNow() || !this.app.testImages) return;
    const forImages = this.app.testImages;
    this.status.textContent = 'The two-step baseline: encoding the digits with its VAE, then k-means…';
    const view = await this.app.worker.baselineMap();
    const labels = view.map.labels;
    const majority = labels ? majorities(view.map.clusters, labels, this.app.model.config.components) : [];
    this.baseline = { view, majority, forImages };
  }

  private layoutChanged(): void {
    const map = this.current();
    if (this.layout === 'pca') {
      this.element.dataset.layout = 'pca';
      this.drawing = this.drawnPca;
      this.paint();
    } else if (map) detach(this.showUmap(map), 'Could not lay out the map');
    else this.refresh();
  }

  /** Lays `map` out by UMAP (in the layout worker; drawings are answered meanwhile), showing it
   *  as it forms, then says how well each layout keeps the digits among their own kind. */
  private async showUmap(map: MapView): Promise<void> {
    const current = () => this.current() === map && this.layout === 'umap';
    this.element.dataset.layout = 'umap-running';
    const positions = await this.layouts.positions(map, (frame, done) => {
      if (!current()) return;
      this.umap = { map, positions: frame };
      this.status.textContent = `UMAP of the codes: ${percent(done, 0)}…`;
      this.paint();
    });
    if (!current()) return;
    this.umap = { map, positions };
    this.element.dataset.layout = 'umap';
    this.paint();
    await this.pinDrawing();
    const whose = this.showingBaseline ? "the baseline VAE's codes" : 'their codes';
    this.status.textContent = `${map.clusters.length.toLocaleString()} digits laid out by UMAP of ${whose}`;
    if (map.labels) await this.showAgreement(map, positions, map.labels);
  }

  /** The share of each digit's nearest neighbours on each layout that are the same digit. */
  private async showAgreement(map: MapView, positions: Float32Array, labels: Uint8Array): Promise<void> {
    const [onUmap, onPca] = await Promise.all([this.layouts.agreement(positions, labels), this.layouts.agreement(map.positions, labels)]);
    this.element.dataset.agreement = String(onUmap);
    this.element.dataset.pcaAgreement = String(onPca);
    this.status.textContent += ` · ${percent(onUmap, 0)} of each digit's nearest neighbours here are the same digit (PCA: ${percent(onPca, 0)})`;
  }

  /** Puts the pin where the drawing lands on the layout on show. */
  private async pinDrawing(): Promise<void> {
    if (this.layout === 'umap' && this.umap && this.drawnCode) this.drawing = await this.layouts.place(this.drawnCode);
    this.placePin();
  }

  /** The drawing is placed by the model, so its pin is on the model's map only. */
  private placePin(): void {
    this.pin.place(this.app.map && !this.replaying && !this.showingBaseline ? this.drawing : null);
  }

  /** The points on show: a replayed frame, the UMAP layout, or the PCA plane. */
  private shown(map: MapView): MapPoints {
    const baseline = this.showingBaseline ? this.baselineNow() : null;
    const groups = { groups: this.app.model.config.components, labels: map.labels };
    const naming = baseline
      ? { majority: baseline.majority, groupName: 'k-means group' }
      : { majority: this.app.model.majority, groupName: 'cluster' };
    const common = { ...groups, ...naming };
    if (this.replaying && !baseline) return { ...this.replaying, ...common, axis: 'PC ' };
    if (this.layout === 'umap' && this.umap?.map === map) return { positions: this.umap.positions, clusters: map.clusters, ...common, axis: 'UMAP ' };
    return { positions: map.positions, clusters: map.clusters, ...common, axis: 'PC ' };
  }

  private paint(): void {
    const map = this.current();
    if (!map) return;
    // "True digit" only means something when the digits came with labels.
    this.colourBy.querySelector<HTMLOptionElement>('option[value=label]')!.disabled = !map.labels;
    paintMap(this.chart, this.shown(map), this.colourBy.value === 'label', this.app.testImages);
    this.placePin();
  }

  /** During training: the PCA map again every few seconds, so the clusters are seen forming
   *  (UMAP takes longer than that: it follows at each epoch's end). */
  private liveRefresh(): void {
    const now = performance.now();
    if (!this.visible || this.renderingOn || this.layout !== 'pca' || now - this.lastLive < LIVE_REFRESH_MS) return;
    this.lastLive = now;
    this.refresh(true);
  }
}
