// Opens the built page in Debian's Chromium (playwright-core, no downloaded browser), draws a
// digit with the mouse, and saves screenshots under results/screenshots/. For looking at the page
// as a user would: `node tests/e2e/look.mjs [url]`.
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const url = process.argv[2] ?? 'http://127.0.0.1:5173/';
const out = 'results/screenshots';
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on('console', (m) => console.log(`[console.${m.type()}] ${m.text()}`));
page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
const t0 = Date.now();
await page.goto(url);
await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]')?.getAttribute('data-backend'), null, { timeout: 120000 });
console.log(`backend: ${await page.textContent('[data-testid=backend-badge]')} after ${Date.now() - t0} ms`);
console.log(`reason: ${await page.textContent('#backend-reason')}`);

// A "7": a top bar and a diagonal.
const box = await page.locator('[data-testid=draw-canvas]').boundingBox();
const at = (x, y) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280];
async function stroke(points) {
  await page.mouse.move(...at(...points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(...p), { steps: 8 });
  await page.mouse.up();
}
await stroke([[70, 60], [210, 60], [130, 240]]);
await page.waitForSelector('[data-testid=cluster-result][data-cluster]', { timeout: 60000 });
console.log(`cluster: ${await page.textContent('[data-testid=cluster-result]')} after ${Date.now() - t0} ms`);
await page.waitForTimeout(500);
await page.screenshot({ path: `${out}/desktop-draw.png` });
await page.locator('#map').scrollIntoViewIfNeeded();
await page.waitForFunction(() => document.querySelector('#map-status')?.textContent?.includes('digits ·'), null, { timeout: 120000 });
await page.waitForTimeout(800);
console.log(`map: ${await page.textContent('#map-status')} after ${Date.now() - t0} ms`);
await page.screenshot({ path: `${out}/desktop-map.png` });
// Hover over the densest part of the map until a tooltip with a digit shows.
const mapBox = await page.locator('[data-testid=latent-map]').boundingBox();
for (let i = 0; i < 60; i++) {
  await page.mouse.move(mapBox.x + mapBox.width * (0.3 + 0.4 * ((i * 7) % 60) / 60), mapBox.y + mapBox.height * (0.35 + 0.3 * (i % 10) / 10));
  await page.waitForTimeout(60);
  if (await page.locator('[data-testid=latent-map] img').count()) break;
}
console.log(`hover tooltip with a digit: ${(await page.locator('[data-testid=latent-map] img').count()) > 0}`);
await page.screenshot({ path: `${out}/desktop-map-hover.png` });
await page.locator('#generate').scrollIntoViewIfNeeded();
await page.screenshot({ path: `${out}/desktop-generate.png` });
await page.screenshot({ path: `${out}/desktop-full.png`, fullPage: true });

if (process.env.TRAIN) {
  await page.fill('input[name=pretrain_epochs]', '1');
  await page.fill('input[name=anchor_epochs]', '1');
  await page.fill('input[name=epochs]', '1');
  await page.click('[data-testid=train-button]');
  const started = Date.now();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-progress]')?.getAttribute('value') ?? 0) > 20, null, { timeout: 180000 });
  console.log(`training moving after ${Date.now() - started} ms: ${await page.textContent('#train-status')}`);
  await page.waitForTimeout(Number(process.env.TRAIN));
  await page.locator('#train').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${out}/desktop-train.png` });
  console.log(`status: ${await page.textContent('#train-status')}`);
  console.log(`epochs: ${await page.textContent('#epoch-table tbody')}`);
}

const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
await phone.goto(url);
await phone.waitForFunction(() => document.querySelector('[data-testid=backend-badge]')?.getAttribute('data-backend'), null, { timeout: 120000 });
await phone.screenshot({ path: `${out}/phone-top.png` });
await browser.close();
