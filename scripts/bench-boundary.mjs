// `npm run bench:boundary`: what crossing the worker and the wasm boundary costs the page, on the
// CPU backend in headless Chromium: a drawing's round trip (classify: 784 pixels in, input,
// reconstruction and probabilities out) and the latent map of the 10,000 test digits (its codes
// cached, so mostly the crossing), each as typed arrays (how they cross) and as JSON (how they
// crossed before), timed alternately in one build. Medians and 95th percentiles; needs dist/.
import { launch, serveDist } from '../tests/e2e/browser.mjs';

const rounds = Number(process.env.ROUNDS ?? 3);
const server = await serveDist();
const browser = await launch({ webgpu: false });
try {
  for (let round = 1; round <= rounds; round++) {
    const page = await browser.newPage();
    await page.goto(`${server.url}bench.html?backend=cpu&training=0&encodes=200&maps=20&grids=5`);
    await page.waitForFunction(() => window.benchResult || window.benchError, null, { timeout: 600_000, polling: 500 });
    const { benchResult: r, benchError } = await page.evaluate(() => ({ benchResult: window.benchResult, benchError: window.benchError }));
    await page.close();
    if (benchError) throw new Error(benchError);
    const ms = (l) => `p50 ${l.p50.toFixed(2)} ms, p95 ${l.p95.toFixed(2)} ms (${l.samples} calls)`;
    console.log(`round ${round}: drawing round trip: typed arrays ${ms(r.encodeMs)}; JSON ${ms(r.encodeJsonMs)}`);
    console.log(`         latent map: typed arrays ${ms(r.mapMs)}; JSON ${ms(r.mapJsonMs)}`);
  }
} finally {
  await browser.close();
  server.stop();
}
