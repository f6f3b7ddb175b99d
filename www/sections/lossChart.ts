// The loss chart: each term of the objective per step (averaged over a few steps), and beside it
// what each term means with its latest value.
import { autoResize, colour, echarts } from '../shared/charts';
import { byId } from '../shared/ui';
import type { ChunkReport } from '../worker/worker';

const TERMS = ['total', 'reconstruction', 'kl_z', 'kl_y', 'anchor'] as const;
type Term = (typeof TERMS)[number];
/** Each term's points, [step, mean loss]. */
type Curves = Partial<Record<Term, number[][]>>;

const TERM_NAMES: Record<Term, string> = {
  total: 'total (−ELBO)',
  reconstruction: 'reconstruction',
  kl_z: 'KL z',
  kl_y: 'KL y',
  anchor: 'anchor',
};

/** One line per term for a newcomer: what pushes it down. */
const TERM_MEANINGS: Record<Term, string> = {
  total: 'what training minimises: the sum of the others (lower is better)',
  reconstruction: 'how badly the decoder redraws each digit from its code',
  kl_z: 'how far each code strays from its cluster’s Gaussian (0 while pretraining: no clusters yet)',
  kl_y: 'the price of a sure cluster guess (at most ln K): it keeps the guesses honest (0 while pretraining)',
  anchor: 'only while anchored: how far the guesses are from the groups found at the start (in self-training, the model’s own clusters)',
};

/** Steps averaged into one point of the curves. */
const STEPS_PER_POINT = 10;

export interface LossChart {
  add(steps: ChunkReport['steps']): void;
  clear(): void;
}

export function setupLossChart(): LossChart {
  const element = byId('loss-chart');
  const chart = echarts.init(element);
  autoResize(chart, element);
  const legend = termLegend();
  let curves: Curves = {};
  let pending: number[] = [];
  let pendingCount = 0;

  function draw(): void {
    chart.setOption(lossOption(curves));
  }

  function addPoint(step: number): void {
    TERMS.forEach((term, i) => {
      const mean = pending[i] / pendingCount;
      if (mean > 0) (curves[term] ??= []).push([step, mean]);
      legend.set(term, mean);
    });
    describeLoss(element, curves.total ?? []);
    pending = [];
    pendingCount = 0;
  }

  draw();
  return {
    add(steps): void {
      for (const step of steps) {
        const values = TERMS.map((t) => step.terms[t]);
        pending = pending.length ? pending.map((v, i) => v + values[i]) : values;
        pendingCount += 1;
        // Steps of the whole run, also when it was resumed after a reload.
        if (pendingCount === STEPS_PER_POINT) addPoint(step.epoch * step.steps_per_epoch + step.step + 1);
      }
      draw();
    },
    clear(): void {
      curves = {};
      pending = [];
      pendingCount = 0;
      delete element.dataset.firstLoss;
      delete element.dataset.lastLoss;
      legend.clear();
      draw();
    },
  };
}

/** The chart's axes, legend and one line per term. */
function lossOption(curves: Curves): echarts.EChartsCoreOption {
  return {
    animation: false,
    grid: { left: 58, right: 16, top: 56, bottom: 36 }, // room for a legend on two lines (phones)
    legend: { top: 0, textStyle: { fontSize: 11 } },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 24, min: 0 },
    // The axis name runs along the axis: above it, it met the legend once that wrapped (phones).
    yAxis: { type: 'log', name: 'loss (nats / digit)', nameLocation: 'middle', nameRotate: 90, nameGap: 42, scale: true },
    series: TERMS.map((term, i) => ({
      type: 'line',
      name: TERM_NAMES[term],
      data: curves[term] ?? [],
      showSymbol: false,
      lineStyle: { width: term === 'total' ? 2 : 1.2 },
      itemStyle: { color: colour(i) },
    })),
  };
}

/** The first and latest point of the total, on the chart's element for tests and for screen readers. */
function describeLoss(element: HTMLElement, total: number[][]): void {
  if (!total.length) return;
  const [first, last] = [total[0][1], total[total.length - 1][1]];
  element.dataset.firstLoss = String(first);
  element.dataset.lastLoss = String(last);
  element.setAttribute('aria-label', `Loss per step: from ${first.toFixed(1)} to ${last.toFixed(1)}`);
}

/** The explanation beside the chart: one row per term, its meaning and its live value. */
function termLegend(): { set(term: Term, value: number): void; clear(): void } {
  const list = byId('loss-terms');
  const values = new Map<Term, HTMLElement>();
  list.replaceChildren(
    ...TERMS.flatMap((term, i) => {
      const name = Object.assign(document.createElement('dt'), { textContent: TERM_NAMES[term] });
      name.style.borderLeftColor = colour(i);
      const value = Object.assign(document.createElement('span'), { className: 'term-value', textContent: '–' });
      value.dataset.term = term;
      values.set(term, value);
      const meaning = document.createElement('dd');
      meaning.append(value, ` ${TERM_MEANINGS[term]}`);
      return [name, meaning];
    }),
  );
  return {
    set(term, value): void {
      values.get(term)!.textContent = Number.isFinite(value) ? value.toFixed(2) : '–';
    },
    clear(): void {
      for (const value of values.values()) value.textContent = '–';
    },
  };
}
