// `npm run plot:curve -- OUT.svg STUDY.json...`: the mean test accuracy after each epoch against
// the training images seen, one line per `mixvae study --json` report (each recipe's name from the
// report), drawn by ECharts' server-side SVG renderer into OUT.svg.
import { readFileSync, writeFileSync } from 'node:fs';
import * as echarts from 'echarts';

const [out, ...reports] = process.argv.slice(2);
if (!out?.endsWith('.svg') || reports.length === 0) {
  console.error('usage: npm run plot:curve -- OUT.svg STUDY.json...');
  process.exit(2);
}

/** How the page and the README call `mixvae study`'s recipes. */
const RECIPE_NAMES = { page: 'Quick preset', shipped: 'shipped recipe (Full)' };

/** One line: [millions of images seen, mean accuracy] after each epoch, named by its recipe. */
function line(path) {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const perEpoch = report.summary?.mean_accuracy_by_epoch;
  if (!Array.isArray(perEpoch) || perEpoch.length === 0) throw new Error(`${path}: no mean_accuracy_by_epoch (a mixvae study --json report)`);
  const seeds = report.runs.length;
  const name = `${RECIPE_NAMES[report.recipe] ?? report.recipe} (${report.backend}, ${seeds} seed${seeds === 1 ? '' : 's'}): ${report.summary.mean_accuracy.toFixed(3)}`;
  const data = perEpoch.map((accuracy, epoch) => [((epoch + 1) * report.train_size) / 1e6, accuracy]);
  return { name, type: 'line', showSymbol: false, data };
}

const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 720, height: 360 });
chart.setOption({
  animation: false,
  backgroundColor: '#fff',
  title: { text: 'Mean test accuracy after each epoch', left: 'center', textStyle: { fontSize: 14 } },
  legend: { bottom: 0 },
  grid: { left: 60, right: 20, top: 40, bottom: 70 },
  xAxis: { type: 'value', name: 'training images seen (millions)', nameLocation: 'middle', nameGap: 28 },
  yAxis: { type: 'value', name: 'accuracy', min: 0, max: 1 },
  series: reports.map(line),
});
writeFileSync(out, chart.renderToSVGString());
chart.dispose(); // its renderer's timers would keep Node running
console.log(`wrote ${out}`);
