// Map: the test digits' latent means laid out on the PCA plane or by UMAP (mapLayouts.ts),
// coloured by cluster or true digit; hover shows the digit, the user's drawing is pinned; beside
// it the PCA plane's grid decoded. During training the PCA map follows the model every few
// seconds and keeps a frame per epoch to replay (mapReplay.ts). The test digits are fetched the
// first time the map (or training) needs them.
import type { App } from '../shared/app';
import { autoResize, colour, echarts } from '../shared/charts';
import type { DownloadProgress } from '../worker/download';
import { drawDigitGrid, digitDataUrl } from '../shared/images';
import { byId, detach, percent, showFailure } from '../shared/ui';
import * as Comlink from 'comlink';
import type { Classification } from '../worker/worker';
import { UmapLayouts, type LayoutName } from './mapLayouts';
import { setupMapReplay, type Frame } from './mapReplay';

const WALK_SIDE = 12;
/** During training the PCA map is recomputed this often (encoding the test digits costs the
 *  training loop a few percent at this pace). */
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
  byId('map-status').textContent = `${label}: ${(p.loaded / 1e6).toFixed(1)} MB${p.total ? ` of ${(p.total / 1e6).toFixed(1)} MB` : ''}`;
}

export function setupMapSection(app: App): MapSection {
  const element = byId('latent-map');
  const chart = echarts.init(element, undefined, { renderer: 'canvas' });
  autoResize(chart, element);
  const status = byId('map-status');
  const colourBy = byId<HTMLSelectElement>('map-colour');
  const layoutSelect = byId<HTMLSelectElement>('map-layout');
  const layouts = new UmapLayouts();
  /** The layout on show: PCA, or UMAP once computed for the current map. */
  let umap: { map: NonNullable<App['map']>; positions: Float32Array } | null = null;
  let replaying: Frame | null = null;
  const replay = setupMapReplay((frame) => {
    replaying = frame;
    paint();
  });
  let frameLabel: string | null = null;
  let lastLive = 0;
  let drawnCode: Float32Array | null = null;
  // Loads and renders in progress, with the worker they run on (a restarted worker's
  // predecessor never answers, so they start over on the new one).
  let loading: Promise<boolean> | null = null;
  let loadingOn: unknown = null;
  let drawing: [number, number] | null = null;
  let renderingOn: unknown = null;
  // The user's drawing is a pin laid over the chart: moving it through ECharts re-ran the whole
  // 10,000-point chart on every stroke (~60 ms each), and drawing lagged.
  const pin = Object.assign(document.createElement('div'), { className: 'map-pin', title: 'your drawing' });
  pin.dataset.testid = 'map-pin';
  pin.hidden = true;
  element.parentElement!.append(pin);
  chart.on('finished', () => placePin()); // after resizes too

  function placePin(): void {
    const at = drawing && app.map && !replaying ? chart.convertToPixel({ xAxisIndex: 0, yAxisIndex: 0 }, drawing) : null;
    pin.hidden = !at;
    if (at) pin.style.translate = `${element.offsetLeft + at[0]}px ${element.offsetTop + at[1]}px`;
  }

  async function ensureTestSet(): Promise<boolean> {
    if (app.testImages) return true;
    if (loadingOn !== app.worker) loading = null;
    loadingOn = app.worker;
    loading ??= (async () => {
      try {
        const { model, images } = await app.worker.loadTestSet(
          Comlink.proxy((p: DownloadProgress) => showProgress('Test digits', p)),
        );
        app.testImages = images;
        app.model = model;
        byId('data-progress').hidden = true;
        status.textContent = 'Encoding the test digits…';
        return true;
      } catch (error) {
        showFailure('Could not load the test digits', error);
        status.textContent = 'The test digits could not be loaded.';
        loading = null;
        return false;
      }
    })();
    return loading;
  }

  const layout = () => layoutSelect.value as LayoutName;

  async function render(): Promise<void> {
    if (renderingOn === app.worker || !(await ensureTestSet())) return;
    const worker = app.worker;
    renderingOn = worker;
    try {
      const map = (app.map ??= await app.worker.latentMap());
      element.dataset.renders = String(Number(element.dataset.renders ?? 0) + 1);
      if (frameLabel !== null) replay.add({ label: frameLabel, positions: map.positions, clusters: map.clusters });
      frameLabel = null;
      paint();
      showScores();
      const [ex, ey] = map.explained;
      status.textContent = `${map.clusters.length.toLocaleString()} digits · the PCA axes hold ${percent(ex + ey, 0)} of the codes' spread`;
      const grid = await app.worker.walkMap(WALK_SIDE, WALK_SIDE);
      drawDigitGrid(byId<HTMLCanvasElement>('walk-grid'), grid, WALK_SIDE, WALK_SIDE);
      if (layout() === 'umap') await showUmap(map);
    } catch (error) {
      showFailure('Could not draw the map', error);
    } finally {
      if (renderingOn === worker) renderingOn = null;
    }
  }

  /** Lays `map` out by UMAP (in the layout worker; drawings are answered meanwhile), showing it
   *  as it forms, then says how well each layout keeps the digits among their own kind. */
  async function showUmap(map: NonNullable<App['map']>): Promise<void> {
    element.dataset.layout = 'umap-running';
    const positions = await layouts.positions(map, (frame, done) => {
      if (app.map !== map || layout() !== 'umap') return;
      umap = { map, positions: frame };
      status.textContent = `UMAP of the codes: ${percent(done, 0)}…`;
      paint();
    });
    if (app.map !== map || layout() !== 'umap') return;
    umap = { map, positions };
    element.dataset.layout = 'umap';
    paint();
    await pinDrawing();
    status.textContent = `${map.clusters.length.toLocaleString()} digits laid out by UMAP of their codes`;
    if (!map.labels) return;
    const [onUmap, onPca] = await Promise.all([
      layouts.agreement(positions, map.labels),
      layouts.agreement(map.positions, map.labels),
    ]);
    element.dataset.agreement = String(onUmap);
    element.dataset.pcaAgreement = String(onPca);
    status.textContent += ` · ${percent(onUmap, 0)} of each digit's nearest neighbours here are the same digit (PCA: ${percent(onPca, 0)})`;
  }

  /** Puts the pin where the drawing lands on the layout on show. */
  async function pinDrawing(): Promise<void> {
    if (layout() === 'umap' && umap && drawnCode) drawing = await layouts.place(drawnCode);
    placePin();
  }

  /** The positions on show: a replayed frame, the UMAP layout, or the PCA plane. */
  function shown(map: NonNullable<App['map']>): { positions: Float32Array; clusters: Uint32Array; axis: string } {
    if (replaying) return { ...replaying, axis: 'PC' };
    if (layout() === 'umap' && umap?.map === map) return { positions: umap.positions, clusters: map.clusters, axis: 'UMAP ' };
    return { positions: map.positions, clusters: map.clusters, axis: 'PC ' };
  }

  function paint(): void {
    const map = app.map;
    if (!map) return;
    // "True digit" only means something when the digits came with labels.
    colourBy.querySelector<HTMLOptionElement>('option[value=label]')!.disabled = !map.labels;
    const byLabel = colourBy.value === 'label' && map.labels;
    const groups = byLabel ? 10 : app.model.config.components;
    const { positions, clusters, axis } = shown(map);
    const points: number[][][] = Array.from({ length: groups }, () => []);
    for (let i = 0; i < clusters.length; i++) {
      const group = byLabel ? map.labels![i] : clusters[i];
      points[group]?.push([positions[2 * i], positions[2 * i + 1], i]);
    }
    const name = (g: number) => {
      if (byLabel) return `digit ${g}`;
      const m = app.model.majority[g];
      return m ? `${g}: mostly ${m[0]}s` : `cluster ${g}`;
    };
    const series: echarts.EChartsCoreOption['series'] = points.map((data, g) => ({
      type: 'scatter',
      name: name(g),
      data,
      symbolSize: 3,
      itemStyle: { color: colour(g), opacity: 0.7 },
      emphasis: { scale: 3 },
    }));
    chart.setOption(
      {
        animation: false,
        grid: { left: 40, right: 10, top: 76, bottom: 30 },
        legend: { top: 0, itemWidth: 10, itemHeight: 10, itemGap: 8, textStyle: { fontSize: 11 } },
        tooltip: {
          trigger: 'item',
          formatter: (p: { data: number[]; seriesName: string }) => {
            const index = p.data[2];
            if (!app.testImages || !app.map) return '';
            const label = app.map.labels ? ` · true digit ${app.map.labels[index]}` : '';
            return `<img src="${digitDataUrl(app.testImages, index)}" width="56" height="56" style="image-rendering:pixelated"><br>cluster ${app.map.clusters[index]}${label}`;
          },
        },
        xAxis: { type: 'value', name: `${axis}1`, scale: true, splitLine: { show: false } },
        yAxis: { type: 'value', name: `${axis}2`, scale: true, splitLine: { show: false } },
        series,
      },
      { notMerge: true },
    );
    placePin();
  }

  /** A score to 3 places; NaN (a silhouette with one cluster) crosses as JSON's null. */
  const fixed = (value: number | null) => (value == null || !Number.isFinite(value) ? '–' : value.toFixed(3));

  function showScores(): void {
    const s = app.model.scores;
    const rows: [string, string][] = s
      ? [
          ['Accuracy (best match of clusters to digits)', percent(s.accuracy)],
          ['NMI', fixed(s.nmi)],
          ['ARI', fixed(s.ari)],
          ['Silhouette (label-free)', fixed(s.silhouette)],
          ['Clusters in use', `${s.clusters_used} of ${app.model.config.components}`],
        ]
      : [];
    byId('scores').replaceChildren(
      ...rows.flatMap(([k, v]) => [
        Object.assign(document.createElement('dt'), { textContent: k }),
        Object.assign(document.createElement('dd'), { textContent: v }),
      ]),
    );
  }

  colourBy.addEventListener('change', paint);
  layoutSelect.addEventListener('change', () => {
    if (layout() === 'pca') {
      element.dataset.layout = 'pca';
      drawing = drawnPca;
      paint();
    } else if (app.map) detach(showUmap(app.map), 'Could not lay out the map');
    else detach(render(), 'Could not draw the map');
  });
  let visible = false;
  new IntersectionObserver((entries) => {
    visible = entries.some((e) => e.isIntersecting);
    if (visible && !app.map) detach(render(), 'Could not draw the map');
  }).observe(element);
  app.onModelChanged.push((reason) => {
    if (reason === 'step') return liveRefresh();
    showScores();
    if (visible || app.testImages) detach(render(), 'Could not draw the map');
  });

  /** During training: the PCA map again every few seconds, so the clusters are seen forming
   *  (UMAP takes longer than that: it follows at each epoch's end). */
  function liveRefresh(): void {
    const now = performance.now();
    if (!visible || renderingOn || layout() !== 'pca' || now - lastLive < LIVE_REFRESH_MS) return;
    lastLive = now;
    app.map = null;
    detach(render(), 'Could not draw the map');
  }

  let drawnPca: [number, number] | null = null;
  return {
    ensureTestSet,
    markDrawing(c) {
      drawnPca = c?.map_position ?? null;
      drawnCode = c?.mean ?? null;
      drawing = drawnPca;
      if (layout() === 'umap' && drawnCode) detach(pinDrawing(), 'Could not place the drawing');
      else placePin();
    },
    runStarted() {
      replay.clear();
      frameLabel = 'before training';
    },
    epochDone(label) {
      frameLabel = label;
    },
  };
}
