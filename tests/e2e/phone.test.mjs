// End-to-end tests of the built page (dist/) on a phone: a touch screen 360 to 430 px wide. The
// page must not scroll sideways, a digit drawn with a finger must be answered, the latent map must
// fit the screen, and the Train section's button and fields must be within reach. Screenshots go
// under results/screenshots/. Run by `npm test` with the other end-to-end tests.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SCREENSHOTS, SEVEN, launch, serveDist, settledResult } from './browser.mjs';

/** Common phone screens: small, the usual, large. */
const PHONES = [
  { width: 360, height: 740 },
  { width: 390, height: 844 },
  { width: 430, height: 932 },
];
const PHONE = PHONES[1];

let server;
let browser;

before(async () => {
  server = await serveDist();
  browser = await launch({ webgpu: false });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** The page on a touch phone of this size, once the worker has started (the badge names a backend). */
async function openPhone(viewport) {
  const context = await browser.newContext({ viewport, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]')?.dataset.backend, null, {
    timeout: 120000,
  });
  return { context, page, errors };
}

/** How wide the page is laid out, and every element reaching past the screen's edges. A phone's
 *  browser widens its layout viewport (and innerWidth) to content wider than the screen, so the
 *  screen's own width is the measure, not innerWidth. */
function sideways(page, width) {
  return page.evaluate((width) => {
    const name = (e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${[...e.classList].map((c) => `.${c}`).join('')}`;
    const outside = [];
    for (const e of document.body.querySelectorAll('*')) {
      const box = e.getBoundingClientRect();
      if (box.width > 0 && (box.left < -0.5 || box.right > width + 0.5)) outside.push(`${name(e)} [${Math.round(box.left)}, ${Math.round(box.right)}]`);
    }
    return { innerWidth, scrollWidth: document.documentElement.scrollWidth, outside };
  }, width);
}

/** Left and right edges of each element matching `selector` (laid out ones only). */
function edges(page, selector) {
  return page.$$eval(selector, (elements) =>
    elements.map((e) => {
      const box = e.getBoundingClientRect();
      return { name: e.name || e.id || e.tagName.toLowerCase(), left: box.left, right: box.right, width: box.width };
    }),
  );
}

/** Draws strokes given in the pad's own 280 x 280 coordinates with a finger: CDP touch events,
 *  which the browser turns into the pointer events (pointerType "touch") the pad listens to. */
async function touchDraw(page, cdp, strokes) {
  const canvas = page.locator('[data-testid=draw-canvas]');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const at = ([x, y]) => ({ x: box.x + (x * box.width) / 280, y: box.y + (y * box.height) / 280 });
  for (const stroke of strokes) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(stroke[0])] });
    for (const [i, [x1, y1]] of stroke.slice(1).entries()) {
      const [x0, y0] = stroke[i];
      for (let step = 1; step <= 8; step++) {
        const touch = at([x0 + ((x1 - x0) * step) / 8, y0 + ((y1 - y0) * step) / 8]);
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [touch] });
      }
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  }
}

for (const viewport of PHONES) {
  const { width } = viewport;

  test(`at ${width} px the page does not scroll sideways`, async () => {
    const { context, page, errors } = await openPhone(viewport);
    // Measured once what arrives late is shown: the model's name, and the map with its scores
    // (made once scrolled to).
    await page.locator('#map').scrollIntoViewIfNeeded();
    await page.waitForFunction(
      () =>
        document.querySelector('#model-status').textContent.startsWith('Model:') &&
        document.querySelector('#map-status').textContent.includes('10,000 digits') &&
        document.querySelector('#scores dt'),
      null,
      { timeout: 120000 },
    );
    const layout = await sideways(page, width);
    assert.ok(
      layout.scrollWidth <= width && layout.innerWidth === width && layout.outside.length === 0,
      `laid out ${layout.scrollWidth} px wide (innerWidth ${layout.innerWidth}) on a ${width} px screen; past its edges: ${layout.outside.join(', ')}`,
    );
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SCREENSHOTS}/e2e-phone-${width}.png` });
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`at ${width} px the Train button and the Train form's fields are within the screen`, async () => {
    const { context, page, errors } = await openPhone(viewport);
    // The fields, folded away at first, opened as a user would to set them.
    await page.locator('#train-form details').evaluate((fold) => (fold.open = true));
    const train = page.locator('[data-testid=train-button]');
    await train.scrollIntoViewIfNeeded();
    const fields = await edges(page, '#train-form select, #train-form input, [data-testid=train-button]');
    assert.equal(fields.length, 13, `the recipe, ten numbers, augmentation and the Train button: ${fields.map((f) => f.name)}`);
    const outside = fields.filter((f) => f.width === 0 || f.left < 0 || f.right > width + 0.5);
    assert.deepEqual(outside, [], `fields not laid out within the ${width} px screen`);
    // Reachable: nothing (the sticky bar, a neighbour) lies over the button's centre.
    const onTop = await train.evaluate((button) => {
      const box = button.getBoundingClientRect();
      return document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2) === button;
    });
    assert.ok(onTop, 'a tap on the Train button lands on it');
    await page.screenshot({ path: `${SCREENSHOTS}/e2e-phone-${width}-train.png` });
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('on a phone, a 7 drawn with a finger lands in the cluster of 7s, and the page stays put', async () => {
  const { context, page, errors } = await openPhone(PHONE);
  const cdp = await context.newCDPSession(page);
  await page.locator('[data-testid=draw-canvas]').scrollIntoViewIfNeeded();
  const scroll = await page.evaluate(() => [scrollX, scrollY]);
  await touchDraw(page, cdp, SEVEN);
  const result = await settledResult(page);
  assert.match(result.text, /Cluster \d+/);
  assert.equal(result.majority, '7', `a 7 drawn with a finger lands in a cluster of 7s: ${result.text}`);
  // The pad takes the finger (touch-action: none): the page did not pan under it.
  assert.deepEqual(await page.evaluate(() => [scrollX, scrollY]), scroll, 'the page moved while drawing');
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-phone-draw.png` });
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a phone, the latent map is drawn within the screen', async () => {
  const { width } = PHONE;
  const { context, page, errors } = await openPhone(PHONE);
  await page.locator('#map').scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector('#map-status').textContent.includes('10,000 digits'), null, {
    timeout: 120000,
  });
  const [chart] = await edges(page, '[data-testid=latent-map]');
  const canvases = await edges(page, '[data-testid=latent-map] canvas');
  assert.ok(canvases.length > 0, 'ECharts drew the map');
  for (const box of [chart, ...canvases]) {
    assert.ok(box.width > width / 2 && box.left >= 0 && box.right <= width + 0.5, `map ${JSON.stringify(box)} on a ${width} px screen`);
  }
  const layout = await sideways(page, width);
  assert.ok(layout.scrollWidth <= width, `with the map drawn: ${layout.scrollWidth} px; ${layout.outside.join(', ')}`);
  await page.locator('[data-testid=latent-map]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENSHOTS}/e2e-phone-map.png` });
  assert.deepEqual(errors, []);
  await context.close();
});
