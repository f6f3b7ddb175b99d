// End-to-end tests of the built page (dist/) in Debian's Chromium, driven by playwright-core:
// what a user does, and what they must see. Each state is saved as a screenshot under
// results/screenshots/. Run by `npm test` after the page build (`node --test tests/e2e/`).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { DIGITS, SCREENSHOTS, SEVEN, ZERO, afterPaint, draw, launch, openPage, serveDist, settledResult, isolatedPage, wasmRequests } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await serveDist();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** Mean ink of each of `rows` horizontal bands of a canvas (0 = white, 1 = black). */
function rowInk(page, selector, rows) {
  return page.evaluate(
    ([selector, rows]) => {
      const canvas = document.querySelector(selector);
      const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      return Array.from({ length: rows }, (_, r) => {
        let ink = 0;
        const [y0, y1] = [Math.floor((r * height) / rows), Math.floor(((r + 1) * height) / rows)];
        for (let y = y0; y < y1; y++) for (let x = 0; x < width; x++) ink += 1 - data[(y * width + x) * 4] / 255;
        return ink / ((y1 - y0) * width);
      });
    },
    [selector, rows],
  );
}

test('a drawn digit shows its cluster, probabilities summing to 1 and a reconstruction; clear resets', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await draw(page, SEVEN);
  const result = await settledResult(page);
  assert.equal(result.probabilities.length, 10);
  const total = result.probabilities.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - 1) < 1e-3, `probabilities sum to ${total}`);
  assert.equal(result.probabilities.indexOf(Math.max(...result.probabilities)), result.cluster);
  assert.equal(result.majority, '7', `a drawn 7 lands in a cluster of 7s: ${result.text}`);
  const [reconstructionInk] = await rowInk(page, '[data-testid=reconstruction]', 1);
  assert.ok(reconstructionInk > 0.05 && reconstructionInk < 0.6, `reconstruction ink ${reconstructionInk}`);
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-draw.png` });

  await page.click('[data-testid=clear-button]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=cluster-result]').dataset.cluster);
  assert.equal(await page.locator('[data-testid=cluster-probs] li').count(), 0);
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-cleared.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('each of the ten digits, drawn with the mouse, lands in a cluster that mostly holds that digit', async () => {
  const { page, errors } = await openPage(browser, server.url);
  const landed = [];
  for (const [digit, strokes] of DIGITS.entries()) {
    await page.click('[data-testid=clear-button]');
    await draw(page, strokes);
    const result = await settledResult(page);
    landed.push(`${digit} -> cluster ${result.cluster} (mostly ${result.majority}s)`);
  }
  const wrong = landed.filter((line, digit) => !line.endsWith(`(mostly ${digit}s)`));
  assert.deepEqual(wrong, [], landed.join('; '));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the generate grid fills with K rows of digits, and resample changes them', async () => {
  const { page, errors } = await openPage(browser, server.url);
  const grid = page.locator('[data-testid=generate-grid]');
  await page.waitForFunction(() => document.querySelector('[data-testid=generate-grid]').dataset.rows);
  assert.equal(await grid.getAttribute('data-rows'), '10');
  const ink = await rowInk(page, '[data-testid=generate-grid]', 10);
  for (const [row, value] of ink.entries()) assert.ok(value > 0.03 && value < 0.6, `row ${row} ink ${value}`);
  const before = await grid.evaluate((c) => c.toDataURL());
  const seed = await grid.getAttribute('data-seed');
  await page.click('[data-testid=resample-button]');
  await page.waitForFunction((s) => document.querySelector('[data-testid=generate-grid]').dataset.seed !== s, seed);
  assert.notEqual(await grid.evaluate((c) => c.toDataURL()), before, 'resampled digits differ');
  await grid.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-generate.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the map shows the 10,000 test digits', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await page.locator('#map').scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector('#map-status').textContent.includes('10,000 digits'), null, {
    timeout: 120000,
  });
  await afterPaint(page);
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-map.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the map switches to UMAP, which keeps the digits apart better than PCA, and pins the drawing on it', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await page.locator('#map').scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector('#map-status').textContent.includes('10,000 digits'), null, { timeout: 120000 });
  await page.selectOption('[data-testid=map-layout]', 'umap');
  // Laid out in a worker of its own: a drawing is answered while it runs.
  await draw(page, SEVEN);
  assert.equal((await settledResult(page)).majority, '7');
  await page.waitForFunction(() => document.querySelector('[data-testid=latent-map]').dataset.agreement, null, { timeout: 180000 });
  const { agreement, pcaAgreement } = await page.$eval('[data-testid=latent-map]', (e) => ({ ...e.dataset }));
  assert.ok(Number(agreement) > 0.85, `UMAP neighbourhoods hold one digit: ${agreement}`);
  assert.ok(Number(agreement) > Number(pcaAgreement) + 0.1, `UMAP ${agreement} against PCA ${pcaAgreement}`);
  assert.match(await page.textContent('#map-status'), /laid out by UMAP .* same digit \(PCA: \d+%\)/);
  await page.waitForFunction(() => !document.querySelector('[data-testid=map-pin]').hidden);
  await afterPaint(page);
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-map-umap.png` });
  await page.selectOption('[data-testid=map-layout]', 'pca');
  assert.equal(await page.getAttribute('[data-testid=latent-map]', 'data-layout'), 'pca');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the two-step baseline shows its map and its scores beside the model\'s, which beat them', async () => {
  // The test digits are held back until the baseline is chosen: it is chosen while the model's
  // map is still being made, and the choice must not be lost.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  let release;
  const held = new Promise((resolve) => (release = resolve));
  let requested;
  const asked = new Promise((resolve) => (requested = resolve));
  await context.route(/t10k-images-idx3-ubyte\.gz$/, async (route) => {
    requested();
    await held;
    await route.continue();
  });
  const { page, errors } = await openPage(context, server.url);
  await page.locator('#map').scrollIntoViewIfNeeded();
  await asked;
  await page.selectOption('[data-testid=map-source]', 'baseline');
  release();
  await page.waitForFunction(() => document.querySelector('[data-testid=latent-map]').dataset.source === 'baseline' && /k-means/.test(document.querySelector('#map-status').textContent), null, { timeout: 120000 });
  const scoreRows = () => page.$$eval('#scores dt', (dts) => dts.map((dt) => [dt.textContent, ...[dt.nextElementSibling, dt.nextElementSibling?.nextElementSibling].map((dd) => dd?.textContent)]));
  // Its scores in a column of their own beside the model's.
  const compared = await page.waitForSelector('#scores.compare', { timeout: 30000 }).catch(() => null);
  assert.ok(compared, `no baseline column beside the model's scores: ${JSON.stringify(await scoreRows())}, map: ${await page.textContent('#map-status')}`);
  const rows = await scoreRows();
  const accuracy = rows.find(([name]) => name.startsWith('Accuracy'));
  assert.ok(accuracy, JSON.stringify(rows));
  const [model, baseline] = accuracy.slice(1).map((text) => Number.parseFloat(text));
  assert.ok(baseline > 50 && baseline < model, `two steps ${baseline}% < one step ${model}%: ${JSON.stringify(rows)}`);
  await draw(page, SEVEN);
  await settledResult(page);
  assert.ok(await page.locator('[data-testid=map-pin]').isHidden(), 'the drawing is placed by the model, not on the baseline\'s map');
  await page.locator('#map').scrollIntoViewIfNeeded();
  await afterPaint(page);
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-map-baseline.png` });
  await page.selectOption('[data-testid=map-source]', 'model');
  await page.waitForFunction(() => document.querySelector('[data-testid=latent-map]').dataset.source === 'model');
  await page.waitForFunction(() => !document.querySelector('[data-testid=map-pin]').hidden);
  assert.deepEqual(errors, []);
  await context.close();
});

test('training shows the clusters forming: the map and the grid follow it, and its frames replay', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await page.click('#train-form summary');
  for (const [name, value] of Object.entries({ pretrain_epochs: 2, anchor_epochs: 0, mixture_epochs: 0, seed: 7 })) {
    await page.fill(`input[name=${name}]`, String(value));
  }
  await draw(page, SEVEN);
  await settledResult(page);
  await page.click('[data-testid=train-button]');
  await page.locator('#map').scrollIntoViewIfNeeded(); // the map follows training while in view
  await page.waitForFunction(() => document.querySelector('#train').dataset.state === 'training', null, { timeout: 120000 });
  // Within an epoch the live map is redrawn every few seconds: the drawing's pin stays on it.
  await page.evaluate(() => {
    const status = () => document.querySelector('#train-status').textContent;
    const [pin, map] = [document.querySelector('[data-testid=map-pin]'), document.querySelector('[data-testid=latent-map]')];
    Object.assign(window, { pinHidden: [], liveRenders: [] });
    new MutationObserver(() => pin.hidden && window.pinHidden.push(status())).observe(pin, { attributeFilter: ['hidden'] });
    new MutationObserver(() => window.liveRenders.push(status())).observe(map, { attributeFilter: ['data-renders'] });
  });
  const renders = () => page.$eval('[data-testid=latent-map]', (e) => Number(e.dataset.renders ?? 0));
  const grids = () => page.$eval('[data-testid=generate-grid]', (e) => Number(e.dataset.renders ?? 0));
  const [mapBefore, gridBefore] = [await renders(), await grids()];
  await page.waitForFunction(() => /^Done/.test(document.querySelector('#train-status').textContent), null, { timeout: 240000 });
  assert.ok((await renders()) >= mapBefore + 3, `the map followed training: ${mapBefore} -> ${await renders()} renders`);
  assert.ok((await grids()) >= gridBefore + 3, `the grid followed training: ${gridBefore} -> ${await grids()} renders`);
  const inFirstEpoch = (statuses) => statuses.filter((s) => /^Epoch 1 of .* step/.test(s));
  const [hidden, live] = await page.evaluate(() => [window.pinHidden, window.liveRenders]);
  assert.ok(inFirstEpoch(live).length >= 2, `the map was redrawn within the first epoch: ${live.join(' | ')}`);
  assert.deepEqual(inFirstEpoch(hidden), [], 'the pin stayed on the live map');
  const replay = page.locator('[data-testid=map-replay]');
  await replay.waitFor({ state: 'visible' });
  assert.equal(await replay.getAttribute('data-frames'), '3', 'before training, after epoch 1, after epoch 2');
  await page.locator('[data-testid=replay-slider]').fill('0');
  assert.equal(await page.textContent('#replay-label'), 'before training');
  await afterPaint(page);
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-map-replay-start.png` });
  await page.click('[data-testid=replay-button]');
  await page.waitForFunction(() => document.querySelector('[data-testid=map-replay]').dataset.frame === '2', null, { timeout: 10000 });
  assert.match(await page.textContent('#replay-label'), /after epoch 2/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('training from scratch moves the progress bar and the loss falls', async () => {
  const { page, errors } = await openPage(browser, server.url);
  assert.match(await page.textContent('[data-testid=train-estimate]'), /^20 epochs: about .*; reaches about 0\.935 /);
  await page.selectOption('[data-testid=train-preset]', 'full');
  assert.equal(await page.inputValue('input[name=pretrain_epochs]'), '35', 'the full recipe fills the numbers');
  assert.match(await page.textContent('[data-testid=train-estimate]'), /^83 epochs: .*the shipped model/);
  await page.click('#train-form summary'); // the nine numbers behind the fold
  for (const [name, value] of Object.entries({ pretrain_epochs: 1, anchor_epochs: 0, mixture_epochs: 0 })) {
    await page.fill(`input[name=${name}]`, String(value));
  }
  assert.equal(await page.inputValue('[data-testid=train-preset]'), 'custom');
  await page.click('[data-testid=train-button]');
  // While it trains, what would pull the model or the data from under it is disabled.
  await page.waitForFunction(() => document.querySelector('#train').dataset.state === 'training', null, { timeout: 120000 });
  for (const id of ['import-input', 'idx-input', 'train-button']) assert.ok(await page.locator(`#${id}`).isDisabled(), `#${id} disabled while training`);
  const progress = page.locator('[data-testid=train-progress]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=loss-chart]').dataset.lastLoss) > 0, null, {
    timeout: 120000,
  });
  const first = Number(await progress.getAttribute('value'));
  await page.waitForFunction(
    () => {
      const chart = document.querySelector('[data-testid=loss-chart]').dataset;
      return Number(chart.lastLoss) < 0.8 * Number(chart.firstLoss);
    },
    null,
    { timeout: 120000 },
  );
  const later = Number(await progress.getAttribute('value'));
  assert.ok(later > first, `progress moved from ${first} to ${later}`);
  const reconstruction = await page.textContent('[data-testid=loss-terms] [data-term=reconstruction]');
  assert.ok(Number(reconstruction) > 0, `the reconstruction term's live value is shown (${reconstruction})`);
  await page.click('[data-testid=pause-button]');
  await page.waitForFunction(() => document.querySelector('#train-status').textContent.startsWith('Paused'));
  assert.equal(await page.locator('#import-input').isDisabled(), false, 'a paused run may be given up for an import');
  await page.locator('#train').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-train.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('exported weights import back to the same cluster; a corrupt file shows the error and keeps the model', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await draw(page, ZERO);
  const original = await settledResult(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-button]')]);
  const exported = 'results/e2e-export.safetensors';
  await download.saveAs(exported);
  assert.match(download.suggestedFilename(), /^mixvae-k10-d10\.safetensors$/);
  assert.ok(readFileSync(exported).length > 1_000_000, 'the export holds the weights');

  await page.setInputFiles('[data-testid=import-input]', exported);
  await page.waitForFunction(() => document.querySelector('#model-status').textContent.includes('e2e-export.safetensors'));
  const reloaded = await settledResult(page);
  assert.equal(reloaded.cluster, original.cluster);
  for (const [k, p] of reloaded.probabilities.entries()) assert.ok(Math.abs(p - original.probabilities[k]) < 1e-4);
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-imported.png` });

  const truncated = readFileSync(exported).subarray(0, 5000);
  await page.setInputFiles('[data-testid=import-input]', { name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: truncated });
  const banner = page.locator('[data-testid=error-banner]');
  await banner.waitFor({ state: 'visible' });
  const message = await banner.innerText();
  assert.match(message, /broken\.safetensors was not loaded: .*SafeTensors/);
  assert.match(message, /unchanged/);
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-corrupt-import.png` });
  // The model in use still answers, the same way.
  await page.click('[data-testid=clear-button]');
  await draw(page, ZERO);
  const after = await settledResult(page);
  assert.equal(after.cluster, original.cluster);
  assert.deepEqual(errors, []);
  await page.close();
});

test('without WebGPU the CPU badge shows and everything still works', async () => {
  const plain = await launch({ webgpu: false });
  try {
    const { page, errors } = await openPage(plain, server.url);
    const badge = page.locator('[data-testid=backend-badge]');
    assert.equal(await badge.getAttribute('data-backend'), 'cpu');
    assert.match(await badge.innerText(), /CPU/);
    assert.match(await page.textContent('#backend-reason'), /no WebGPU|no adapter/);
    await draw(page, SEVEN);
    const result = await settledResult(page);
    assert.equal(result.majority, '7');
    await page.waitForFunction(() => document.querySelector('[data-testid=generate-grid]').dataset.rows === '10');
    await page.screenshot({ path: `${SCREENSHOTS}/e2e-no-webgpu.png` });
    assert.deepEqual(errors, []);
  } finally {
    await plain.close();
  }
});

test('a first visit fetches the compact weights, then the engine\'s CPU build only once they are in', async () => {
  const plain = await launch({ webgpu: false });
  try {
    const context = await plain.newContext({ viewport: { width: 1280, height: 900 } });
    const events = []; // [what, url] in the order the browser reported them
    context.on('request', (r) => events.push(['asked', r.url()]));
    context.on('requestfinished', (r) => events.push(['done', r.url()]));
    const wasm = wasmRequests(context);
    const { page, errors } = await openPage(context, server.url);
    await draw(page, SEVEN);
    assert.equal((await settledResult(page)).majority, '7');
    const at = (what, pattern) => events.findIndex(([w, url]) => w === what && pattern.test(url));
    assert.equal(wasm.length, 1, `one wasm fetched: ${wasm}`);
    assert.match(wasm[0], /^mixvae_cpu_bg-/, 'the CPU build, without WebGPU');
    const weightsDone = at('done', /mixvae\.compact-[^/]*\.safetensors$/);
    assert.ok(weightsDone >= 0, 'the compact weights were fetched');
    assert.equal(at('asked', /mixvae(_bg)?-[^/]*\.safetensors$/), -1, 'not the float32 weights');
    assert.ok(at('asked', /\.wasm$/) > weightsDone, 'the wasm was asked for after the weights were in');
    assert.deepEqual(errors, []);
  } finally {
    await plain.close();
  }
});

test('where WebGPU is chosen, the CPU build answers first and the page moves to the WebGPU build, fetched once', async () => {
  const { context, page, errors } = await isolatedPage(browser);
  await context.addInitScript(() => {
    localStorage.setItem('mixvae.backend', 'webgpu');
    window.badgeStates = [];
    document.addEventListener('DOMContentLoaded', () => {
      const badge = document.querySelector('[data-testid=backend-badge]');
      new MutationObserver(() => window.badgeStates.push(`${badge.dataset.backend}: ${badge.textContent}`)).observe(badge, { attributes: true, childList: true });
    });
  });
  const wasm = wasmRequests(context);
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]')?.dataset.backend === 'webgpu', null, { timeout: 180000 });
  const states = await page.evaluate(() => window.badgeStates);
  assert.ok(states.some((s) => /^cpu: CPU · WebGPU loading/.test(s)), `the CPU answered first: ${JSON.stringify(states)}`);
  assert.equal(wasm.length, 2, `each build fetched once: ${wasm}`);
  assert.match(wasm[0], /^mixvae_cpu_bg-/);
  assert.match(wasm[1], /^mixvae_bg-/);
  assert.ok(await page.evaluate(() => performance.getEntriesByName('webgpu-ready').length === 1), 'marked for the benchmarks');
  await draw(page, SEVEN);
  assert.equal((await settledResult(page)).majority, '7');
  assert.deepEqual(errors, []);
  await context.close();
});

test('with a WebGPU adapter the page times training on each backend, trains on the faster, and remembers it', async () => {
  // Here the adapter is SwiftShader, which the page normally skips unmeasured; ?measure-backends
  // has it measured like a real GPU.
  const { context, page, errors } = await isolatedPage(browser, { width: 1280, height: 900 });
  const badge = '[data-testid=backend-badge]';
  await page.goto(`${server.url}?measure-backends`);
  // The CPU answers first (a quick start) while the WebGPU build loads; then the worker on it
  // measures both backends.
  await page.waitForFunction((b) => document.querySelector(b)?.dataset.measuredAt, badge, { timeout: 180000 });
  // Whichever won here (the CPU, beside SwiftShader; WebGPU, where the browser has a real GPU),
  // the badge names it and says by how much, from the figures in its title.
  const figures = (await page.getAttribute(badge, 'title')).match(/WebGPU (\d+), CPU (\d+) images\/s/);
  assert.ok(figures, 'the measured speeds are in the badge\'s title');
  const [webgpu, cpu] = [Number(figures[1]), Number(figures[2])];
  const winner = webgpu >= cpu ? 'webgpu' : 'cpu';
  assert.equal(await page.getAttribute(badge, 'data-backend'), winner);
  const text = await page.textContent(badge);
  const match = text.match(winner === 'cpu' ? /^CPU: (\d+(\.\d+)?)x WebGPU here$/ : /^WebGPU: (\d+(\.\d+)?)x the CPU here$/);
  assert.ok(match, `the badge says which backend and by how much: "${text}"`);
  const ratio = Math.max(webgpu, cpu) / Math.min(webgpu, cpu);
  assert.ok(Math.abs(Number(match[1]) - ratio) <= 0.05 * ratio + 0.1, `${text} against ${webgpu} / ${cpu}`);
  const measuredAt = await page.getAttribute(badge, 'data-measured-at');
  assert.ok(Number(measuredAt) > 0, 'the choice followed a measurement');
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-measured-backend.png` });
  // A reload uses the remembered figures: the same badge, the same measurement; where they chose
  // the CPU, only the CPU build is fetched.
  const wasm = wasmRequests(context);
  await page.reload();
  await page.waitForFunction((b) => document.querySelector(b)?.dataset.measuredAt, badge, { timeout: 60000 });
  assert.equal(await page.textContent(badge), text);
  assert.equal(await page.getAttribute(badge, 'data-measured-at'), measuredAt, 'not measured again');
  if (winner === 'cpu') assert.deepEqual(wasm.map((name) => name.replace(/-.*/, '')), ['mixvae_cpu_bg'], 'only the CPU build');
  await draw(page, SEVEN);
  assert.equal((await settledResult(page)).majority, '7');
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a GPU timed fast enough, the Train form starts with the Full preset and estimates from that speed', async () => {
  const { context, page, errors } = await isolatedPage(browser, { width: 1280, height: 500 });
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]')?.dataset.backend, null, { timeout: 120000 });
  assert.equal(await page.inputValue('[data-testid=train-preset]'), 'quick', 'the CPU here starts with the Quick preset');
  // As if this browser had timed its adapter at 40,000 images/s on WebGPU (a fast GPU; SwiftShader
  // here is far slower): the worker finds the figures it remembers (IndexedDB) and trusts them.
  await page.evaluate(async () => {
    const { info } = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    const adapter = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
    const speeds = { adapter, batchSize: 128, cpu: 2000, webgpu: 40000, measuredAt: Date.now() };
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('mixvae-backend');
      open.onupgradeneeded = () => open.result.createObjectStore('speeds');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    await new Promise((resolve, reject) => {
      const tx = db.transaction('speeds', 'readwrite');
      tx.objectStore('speeds').put(speeds, adapter);
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  });
  await page.goto(`${server.url}?measure-backends`);
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]')?.dataset.measuredAt, null, { timeout: 120000 });
  assert.equal(await page.getAttribute('[data-testid=backend-badge]', 'data-backend'), 'webgpu');
  assert.equal(await page.inputValue('[data-testid=train-preset]'), 'full');
  // 83 epochs of 60,000 digits at 40,000 images/s: about 2 min 5 s.
  assert.match(await page.textContent('#train-estimate'), /83 epochs: about 2 min 5 s of training at the speed this GPU was timed at/);
  assert.deepEqual(errors, []);
  await context.close();
});

/** The result shown now, and the shades (0-255) of the model's input and reconstruction canvases. */
function shownAnswer(page) {
  return page.evaluate(() => {
    const result = document.querySelector('[data-testid=cluster-result]');
    const shades = (id) => {
      const canvas = document.getElementById(id);
      return Array.from(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data.filter((_, i) => i % 4 === 0));
    };
    return {
      cluster: Number(result.dataset.cluster),
      answeredBy: result.dataset.answeredBy ?? 'worker',
      probabilities: [...document.querySelectorAll('[data-testid=cluster-probs] li')].map((li) => Number(li.dataset.probability)),
      input: shades('model-input'),
      reconstruction: shades('reconstruction'),
    };
  });
}

const largestGap = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

test('before the worker is ready, drawings are answered by the shipped model in TypeScript, as the worker answers them', async () => {
  const { context, page, errors } = await isolatedPage(browser, { width: 1280, height: 900 });
  // The worker's script is held back until every digit has had its first answer.
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await context.route((url) => /worker[^/]*\.js$/.test(url.pathname), async (route) => {
    await held;
    await route.continue();
  });
  await page.goto(server.url);
  const first = [];
  for (const digit of DIGITS) {
    await page.click('[data-testid=clear-button]');
    await draw(page, digit);
    await page.waitForSelector('[data-testid=cluster-result][data-answered-by=first-answer][data-cluster]', { timeout: 60000 });
    first.push(await shownAnswer(page));
  }
  assert.ok(!(await page.getAttribute('[data-testid=backend-badge]', 'data-backend')), 'the worker was not ready');
  release();
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]')?.dataset.backend, null, { timeout: 60000 });
  for (const [digit, strokes] of DIGITS.entries()) {
    await page.click('[data-testid=clear-button]');
    await draw(page, strokes);
    await settledResult(page);
    const worker = await shownAnswer(page);
    const early = first[digit];
    assert.equal(worker.answeredBy, 'worker');
    assert.equal(early.cluster, worker.cluster, `digit ${digit}: the same cluster`);
    assert.ok(largestGap(early.probabilities, worker.probabilities) < 1e-3, `digit ${digit}: probabilities ${early.probabilities} against ${worker.probabilities}`);
    assert.equal(largestGap(early.input, worker.input), 0, `digit ${digit}: the same input pixels`);
    assert.ok(largestGap(early.reconstruction, worker.reconstruction) <= 1, `digit ${digit}: the same reconstruction`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("where a model of the user's is saved, the page does not answer with the shipped one before the worker brings it back", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(server.url);
  // A saved model, as the worker keeps one (www/worker/persistence.ts): here the shipped weights
  // under another name, so the answer tells which model gave it.
  await page.evaluate(async () => {
    const weightsUrl = document.querySelector('link[rel=preload][as=fetch]').href;
    const weights = new Uint8Array(await (await fetch(weightsUrl)).arrayBuffer());
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('mixvae');
      open.onupgradeneeded = () => open.result.createObjectStore('saved-models');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    await new Promise((resolve, reject) => {
      const tx = db.transaction('saved-models', 'readwrite');
      tx.objectStore('saved-models').put({ weights, source: 'saved here', savedAt: Date.now(), training: null, anchors: null }, 'current');
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  });
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await context.route((url) => /worker[^/]*\.js$/.test(url.pathname), async (route) => {
    await held;
    await route.continue();
  });
  await page.reload();
  await draw(page, SEVEN);
  // The page has its weights and knows a model of the user's is saved: it still keeps the drawing
  // for the worker rather than answering with the shipped model (boot.ts's promises have run by
  // the time this evaluates, a task later).
  await page.waitForFunction(() => performance.getEntriesByName('early:saved-checked').length > 0, null, { timeout: 30000 });
  assert.match(await page.textContent('[data-testid=cluster-result]'), /kept/);
  assert.equal(await page.getAttribute('[data-testid=cluster-result]', 'data-answered-by'), null);
  release();
  const result = await settledResult(page);
  assert.ok(result.probabilities.length === 10 && Number.isInteger(result.cluster), `answered: ${result.text}`);
  assert.equal(await page.getAttribute('[data-testid=cluster-result]', 'data-answered-by'), null, 'by the worker');
  await page.waitForFunction(() => /saved here/.test(document.querySelector('#model-status').textContent), null, { timeout: 30000 });
  await context.close();
});

/** A page in a context of its own whose worker script and model weights are held back until
 *  `release()`, so a drawing made before it surely comes before the model (the page is not yet
 *  opened: init scripts go first). */
async function openWithLateModel() {
  const { context, page, errors } = await isolatedPage(browser, { width: 1280, height: 900 });
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await context.route((url) => /worker[^/]*\.js$|\.safetensors$/.test(url.pathname), async (route) => {
    await held;
    await route.continue();
  });
  return { context, page, errors, release };
}

test('a digit cleared while the worker reads it: the page still loads, and the next drawing is answered', async () => {
  const { context, page, errors, release } = await openWithLateModel();
  // Clear is pressed the moment the worker is first asked about the drawing, while it reads it.
  await page.addInitScript(() => {
    const post = Worker.prototype.postMessage;
    let cleared = false;
    Worker.prototype.postMessage = function (message, ...rest) {
      post.call(this, message, ...rest);
      if (!cleared && message?.path?.[0] === 'classify') {
        cleared = true;
        document.querySelector('#clear-button').click();
        document.body.dataset.clearedInFlight = 'true';
      }
    };
  });
  await page.goto(server.url);
  await draw(page, SEVEN);
  release();
  await page.waitForFunction(() => document.body.dataset.clearedInFlight === 'true', null, { timeout: 60000 });
  // The rest of the page loads once the drawing made at first paint is answered (boot.ts).
  await page.waitForFunction(() => document.querySelector('#backend-reason').textContent !== '', null, { timeout: 30000 });
  await page.waitForSelector('[data-testid=cluster-result]:not([data-pending])', { timeout: 10000 });
  assert.match(await page.textContent('[data-testid=cluster-result]'), /Draw a digit/);
  await draw(page, SEVEN);
  assert.equal((await settledResult(page)).majority, '7');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a digit drawn before the model is ready is kept and answered once it is', async () => {
  const { context, page, errors, release } = await openWithLateModel();
  await page.goto(server.url);
  const padBox = () => page.locator('[data-testid=draw-canvas]').boundingBox();
  const atFirstPaint = await padBox();
  await draw(page, SEVEN);
  assert.ok(!(await page.getAttribute('[data-testid=backend-badge]', 'data-backend')), 'the model is not ready yet');
  assert.match(await page.textContent('[data-testid=cluster-result]'), /kept/);
  release();
  const result = await settledResult(page);
  assert.equal(result.majority, '7', `the early drawing was answered: ${result.text}`);
  // The rest of the page (the backend's reason, the model's status) arrives after the first
  // answer, often mid-stroke: the pad stays where it was at first paint.
  await page.waitForFunction(() => document.querySelector('#backend-reason').textContent !== '', null, { timeout: 60000 });
  assert.deepEqual(await padBox(), atFirstPaint, 'the pad did not move as the page loaded');
  assert.deepEqual(errors, []);
  await context.close();
});
