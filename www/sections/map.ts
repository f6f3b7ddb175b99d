// Map: the test digits' latent means on the PCA plane, coloured by cluster or true digit, hover
// shows the digit, the user's drawing is marked; beside it the plane's grid decoded. The test
// digits are fetched the first time the map (or training) needs them.
import type { App } from '../shared/app';
import { autoResize, colour, echarts } from '../shared/charts';
import type { DownloadProgress } from '../worker/download';
import { drawDigitGrid, digitDataUrl } from '../shared/images';
import { byId, detach, percent, showFailure } from '../shared/ui';
import * as Comlink from 'comlink';
import type { Classification } from '../worker/worker';

const WALK_SIDE = 12;

export interface MapSection {
  ensureTestSet(): Promise<boolean>;
  markDrawing(c: Classification | null): void;
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
    const at = drawing && app.map ? chart.convertToPixel({ xAxisIndex: 0, yAxisIndex: 0 }, drawing) : null;
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

  async function render(): Promise<void> {
    if (renderingOn === app.worker || !(await ensureTestSet())) return;
    const worker = app.worker;
    renderingOn = worker;
    try {
      app.map ??= await app.worker.latentMap();
      paint();
      showScores();
      const [ex, ey] = app.map.explained;
      status.textContent = `${app.map.clusters.length.toLocaleString()} digits · the axes hold ${percent(ex + ey, 0)} of the codes' spread`;
      const grid = await app.worker.walkMap(WALK_SIDE, WALK_SIDE);
      drawDigitGrid(byId<HTMLCanvasElement>('walk-grid'), grid, WALK_SIDE, WALK_SIDE);
    } catch (error) {
      showFailure('Could not draw the map', error);
    } finally {
      if (renderingOn === worker) renderingOn = null;
    }
  }

  function paint(): void {
    const map = app.map;
    if (!map) return;
    // "True digit" only means something when the digits came with labels.
    colourBy.querySelector<HTMLOptionElement>('option[value=label]')!.disabled = !map.labels;
    const byLabel = colourBy.value === 'label' && map.labels;
    const groups = byLabel ? 10 : app.model.config.components;
    const points: number[][][] = Array.from({ length: groups }, () => []);
    for (let i = 0; i < map.clusters.length; i++) {
      const group = byLabel ? map.labels![i] : map.clusters[i];
      points[group]?.push([map.positions[2 * i], map.positions[2 * i + 1], i]);
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
        xAxis: { type: 'value', name: 'PC 1', scale: true, splitLine: { show: false } },
        yAxis: { type: 'value', name: 'PC 2', scale: true, splitLine: { show: false } },
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
  let visible = false;
  new IntersectionObserver((entries) => {
    visible = entries.some((e) => e.isIntersecting);
    if (visible && !app.map) detach(render(), 'Could not draw the map');
  }).observe(element);
  app.onModelChanged.push((reason) => {
    if (reason === 'step') return;
    showScores();
    if (visible || app.testImages) detach(render(), 'Could not draw the map');
  });

  return {
    ensureTestSet,
    markDrawing(c) {
      drawing = c?.map_position ?? null;
      placePin();
    },
  };
}
