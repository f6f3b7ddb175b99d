// `npm run plot:curve -- OUT.svg STUDY.json...`: the mean test accuracy after each epoch against
// the training images seen, one line per recipe and backend of the `mixvae study --json` reports
// (reports of the same recipe, e.g. one per seed run side by side, are pooled), drawn by ECharts'
// server-side SVG renderer into OUT.svg.
import { readFileSync, writeFileSync } from 'node:fs';
import * as echarts from 'echarts';

const [out, ...reports] = process.argv.slice(2);
if (!out?.endsWith('.svg') || reports.length === 0) {
  console.error('usage: npm run plot:curve -- OUT.svg STUDY.json...');
  process.exit(2);
}

/** How the page and the README call `mixvae study`'s recipes. */
const RECIPE_NAMES = { page: 'Quick preset', shipped: 'Full recipe (shipped)', baseline: 'two-step baseline' };

/** The reports' runs, pooled by recipe, backend and training-set size. */
function pooled(paths) {
  const groups = new Map();
  for (const path of paths) {
    const report = JSON.parse(readFileSync(path, 'utf8'));
    if (!Array.isArray(report.runs) || !report.runs.every((run) => Array.isArray(run.accuracy_by_epoch) && run.accuracy_by_epoch.length > 0)) {
      throw new Error(`${path}: no runs with accuracy_by_epoch (a mixvae study --json report)`);
    }
    const key = `${report.recipe}/${report.backend}/${report.train_size}`;
    const group = groups.get(key) ?? { recipe: report.recipe, backend: report.backend, trainSize: report.train_size, runs: [] };
    group.runs.push(...report.runs);
    groups.set(key, group);
  }
  return [...groups.values()];
}

const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;

/** One line: [millions of images seen, mean accuracy over the runs] after each epoch (as long
 *  as the shortest run), named by its recipe with the mean final accuracy. */
function line({ recipe, backend, trainSize, runs }) {
  const epochs = Math.min(...runs.map((run) => run.accuracy_by_epoch.length));
  const data = Array.from({ length: epochs }, (_, e) => [((e + 1) * trainSize) / 1e6, mean(runs.map((run) => run.accuracy_by_epoch[e]))]);
  const final = mean(runs.map((run) => run.scores.accuracy));
  const seeds = `${runs.length} seed${runs.length === 1 ? '' : 's'}`;
  return { name: `${RECIPE_NAMES[recipe] ?? recipe} (${backend}, ${seeds}): ${final.toFixed(3)}`, type: 'line', showSymbol: false, data };
}

const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 720, height: 400 });
chart.setOption({
  animation: false,
  backgroundColor: '#fff',
  title: { text: 'Mean test accuracy after each epoch', left: 'center', textStyle: { fontSize: 14 } },
  legend: { bottom: 0 },
  grid: { left: 60, right: 20, top: 40, bottom: 110 },
  xAxis: { type: 'value', name: 'training images seen (millions)', nameLocation: 'middle', nameGap: 28 },
  yAxis: { type: 'value', name: 'accuracy', min: 0, max: 1 },
  series: pooled(reports).map(line),
});
writeFileSync(out, chart.renderToSVGString());
chart.dispose(); // its renderer's timers would keep Node running
console.log(`wrote ${out}`);
