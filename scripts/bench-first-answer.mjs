// `npm run bench:first`: navigation to the first cluster of a drawn 7 (cold cache: a new browser
// context each visit; warm: reloads), the CPU backend chosen automatically as on a machine
// without a GPU. The same measurement as `npm run bench`'s last line, alone. Needs dist/.
import { launch, serveDist } from '../tests/e2e/browser.mjs';
import { firstCluster } from './bench.mjs';

const visits = Number(process.env.VISITS ?? 5);
// DRAW_AFTER=model-ready draws only once the model is ready (the pad takes ink from first paint).
const drawAfter = process.env.DRAW_AFTER ?? 'pad-ready';
// DRAW_WITH=mouse: Playwright's mouse only (its latency included); by default both are measured.
const drawWith = process.env.DRAW_WITH ? [process.env.DRAW_WITH] : ['events', 'mouse'];
const server = await serveDist();
const browser = await launch({ webgpu: true });
try {
  for (const [warm, how] of [false, true].flatMap((warm) => drawWith.map((how) => [warm, how]))) {
    const r = await firstCluster(browser, server.url, warm, visits, drawAfter, how);
    const ms = (values) => values.map((v) => v.toFixed(0)).join(', ');
    const drawn = how === 'events' ? 'drawn in the page at pad-ready' : "drawn with Playwright's mouse";
    console.log(`${warm ? 'warm' : 'cold'}, ${drawn}: first cluster median ${r.medianMs.toFixed(0)} ms (${ms(r.ms)}); model ready median ${r.readyMedianMs.toFixed(0)} ms; longest main-thread task before then ${r.longestTaskMedianMs.toFixed(0)} ms`);
    // Where the time goes: the page's marks and the worker's steps (worker:*), medians.
    console.log(`  steps: ${Object.entries(r.steps).map(([name, at]) => `${name} ${at.toFixed(0)}`).join(', ')}`);
  }
} finally {
  await browser.close();
  server.stop();
}
