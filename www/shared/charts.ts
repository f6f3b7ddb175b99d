// ECharts, with only the parts the page uses (scatter for the map, lines for the losses).
import { LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([ScatterChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export { echarts };

/** Ten colours that stay apart for common colour blindness (Tableau 10), then more. */
export const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#7f7f7f',
  '#1f77b4', '#aec7e8', '#ffbb78', '#98df8a', '#c5b0d5', '#c49c94', '#f7b6d2', '#dbdb8d', '#9edae5', '#17becf',
];

export function colour(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** Resizes every chart on the page with its container. */
export function autoResize(chart: echarts.ECharts, element: HTMLElement): void {
  new ResizeObserver(() => chart.resize()).observe(element);
}
