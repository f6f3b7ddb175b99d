// The latent map's chart: the digits as one scatter series per group (cluster or true digit),
// hover showing the digit; and the scores listed under it.
import { colour, echarts } from '../shared/charts';
import { digitDataUrl } from '../shared/images';
import { percent } from '../shared/ui';
import type { ModelInfo } from '../worker/worker';

type Scores = NonNullable<ModelInfo['scores']>;
type Majority = ModelInfo['majority'];

/** What the chart shows: `[n, 2]` positions, each point's cluster (or k-means group) and, if
 *  known, its digit. */
export interface MapPoints {
  positions: Float32Array;
  clusters: Uint32Array;
  labels: Uint8Array | null;
  /** "PC " or "UMAP ": the axes' names before their number. */
  axis: string;
  /** How many clusters, what each mostly holds, and what a cluster is called ("cluster", "group"). */
  groups: number;
  majority: Majority;
  groupName: string;
}

/** Paints `points` coloured by cluster or by true digit; `images` are the digits' pixels, for
 *  the hover. */
export function paintMap(chart: echarts.ECharts, points: MapPoints, byLabel: boolean, images: Uint8Array | null): void {
  const { positions, clusters, labels, axis, majority, groupName } = points;
  const colourByLabel = byLabel && labels !== null;
  const groups: number[][][] = Array.from({ length: colourByLabel ? 10 : points.groups }, () => []);
  for (let i = 0; i < clusters.length; i++) {
    groups[colourByLabel ? labels[i] : clusters[i]]?.push([positions[2 * i], positions[2 * i + 1], i]);
  }
  const name = (g: number) => {
    if (colourByLabel) return `digit ${g}`;
    const m = majority[g];
    return m ? `${g}: mostly ${m[0]}s` : `${groupName} ${g}`;
  };
  const hover = (p: { data: number[] }) => {
    const index = p.data[2];
    if (!images) return '';
    const digit = labels ? ` · true digit ${labels[index]}` : '';
    return `<img src="${digitDataUrl(images, index)}" width="56" height="56" style="image-rendering:pixelated"><br>${groupName} ${clusters[index]}${digit}`;
  };
  chart.setOption(
    {
      animation: false,
      grid: { left: 40, right: 10, top: 76, bottom: 30 },
      legend: { top: 0, itemWidth: 10, itemHeight: 10, itemGap: 8, textStyle: { fontSize: 11 } },
      tooltip: { trigger: 'item', formatter: hover },
      xAxis: { type: 'value', name: `${axis}1`, scale: true, splitLine: { show: false } },
      yAxis: { type: 'value', name: `${axis}2`, scale: true, splitLine: { show: false } },
      series: groups.map((data, g) => ({
        type: 'scatter',
        name: name(g),
        data,
        symbolSize: 3,
        itemStyle: { color: colour(g), opacity: 0.7 },
        emphasis: { scale: 3 },
      })),
    },
    { notMerge: true },
  );
}

/** A score to 3 places; NaN (a silhouette with one cluster) crosses as JSON's null. */
const fixed = (value: number | null) => (value == null || !Number.isFinite(value) ? '–' : value.toFixed(3));

/** For each group, the digit it mostly holds and that digit's share (as the core's majority). */
export function majorities(clusters: Uint32Array, labels: Uint8Array, groups: number): Majority {
  const counts = Array.from({ length: groups }, () => new Array<number>(10).fill(0));
  clusters.forEach((g, i) => counts[g][labels[i]]++);
  return counts.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    const digit = row.indexOf(Math.max(...row));
    return total ? ([digit, row[digit] / total] as [number, number]) : null;
  });
}

const SCORE_ROWS: [string, (s: Scores, k: number) => string][] = [
  ['Accuracy (best match of clusters to digits)', (s) => percent(s.accuracy)],
  ['NMI', (s) => fixed(s.nmi)],
  ['ARI', (s) => fixed(s.ari)],
  ['Silhouette (label-free)', (s) => fixed(s.silhouette)],
  ['Clusters in use', (s, k) => `${s.clusters_used} of ${k}`],
];

/** The model's test scores as a definition list (empty without labels); with `baseline`, the
 *  two-step baseline's beside them. */
export function showScores(list: HTMLElement, model: ModelInfo, baseline: Scores | null = null): void {
  const s = model.scores;
  const k = model.config.components;
  const cell = (tag: string, text: string) => Object.assign(document.createElement(tag), { textContent: text });
  list.classList.toggle('compare', baseline !== null && s !== null);
  const header = baseline && s ? [cell('dt', ''), cell('dd', 'one step (this model)'), cell('dd', 'two steps (VAE, then k-means)')] : [];
  const rows = s
    ? SCORE_ROWS.flatMap(([name, value]) => [cell('dt', name), cell('dd', value(s, k)), ...(baseline ? [cell('dd', value(baseline, k))] : [])])
    : [];
  list.replaceChildren(...header, ...rows);
}
