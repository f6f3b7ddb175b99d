// Shared by the end-to-end tests and look.mjs: Debian's Chromium through playwright-core (never
// a downloaded browser), the built page served from dist/ by vite preview, and a mouse that draws.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const SCREENSHOTS = 'results/screenshots';
mkdirSync(SCREENSHOTS, { recursive: true });

/** Flags for a closed network; WebGPU (software, SwiftShader here) unless `webgpu` is false. */
export function launch({ webgpu = true } = {}) {
  const args = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run'];
  // Without WebGPU at all: no navigator.gpu, as in a browser that lacks it.
  args.push(webgpu ? '--enable-unsafe-webgpu' : '--disable-blink-features=WebGPU');
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args });
}

/** Serves dist/ on a free port; resolves to { url, stop }. */
export function serveDist() {
  return new Promise((resolve, reject) => {
    // vite itself, not through npx: killing npx would leave vite running and this process waiting.
    const vite = fileURLToPath(new URL('../../node_modules/vite/bin/vite.js', import.meta.url));
    const server = spawn(process.execPath, [vite, 'preview', '--host', '127.0.0.1', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`vite preview did not start:\n${output}`)), 30000);
    const onData = (chunk) => {
      output += chunk;
      const match = output.replace(/\x1b\[[0-9;]*m/g, '').match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[0], stop: () => server.kill() });
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => reject(new Error(`vite preview exited with ${code}:\n${output}`)));
    server.unref();
  });
}

/** Opens the page and waits until the worker has started (the badge names a backend). */
export async function openPage(browser, url, viewport = { width: 1280, height: 900 }) {
  const page = await browser.newPage({ viewport, acceptDownloads: true });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-badge]')?.dataset.backend, null, {
    timeout: 120000,
  });
  return { page, errors };
}

/** A page in a browser context of its own (its own storage and cache), not yet opened, and the
 *  uncaught errors it will throw. Routes and init scripts set on `context` before `goto` apply. */
export async function isolatedPage(browser, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

/** The wasm files the pages of `context` ask for from now on, by file name, in order. */
export function wasmRequests(context) {
  const names = [];
  context.on('request', (r) => /\.wasm$/.test(r.url()) && names.push(r.url().split('/').pop()));
  return names;
}

/** Draws strokes given in the pad's own 280 x 280 coordinates, as mouse drags. */
export async function draw(page, strokes) {
  const canvas = page.locator('[data-testid=draw-canvas]');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const at = ([x, y]) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280];
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (const point of stroke.slice(1)) await page.mouse.move(...at(point), { steps: 8 });
    await page.mouse.up();
  }
}

/** Resolves once the page has painted twice more: ECharts draws its canvas on the next animation
 *  frame after an update (its charts here do not animate), so a screenshot then shows it. */
export function afterPaint(page) {
  return page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

/** A "7": a bar and a diagonal. */
export const SEVEN = [[[70, 60], [210, 60], [130, 240]]];
/** A "0": an ellipse. */
export const ZERO = [Array.from({ length: 33 }, (_, i) => [140 + 60 * Math.sin((i / 32) * 2 * Math.PI), 140 - 95 * Math.cos((i / 32) * 2 * Math.PI)])];

/** Every digit as a person might draw it with a mouse, strokes in the pad's coordinates. */
export const DIGITS = [
  ZERO,
  [[[150, 40], [132, 240]]],
  [[[80, 90], [105, 52], [155, 42], [192, 72], [185, 120], [80, 232], [212, 232]]],
  [[[78, 62], [130, 40], [185, 62], [185, 105], [125, 135], [190, 165], [190, 215], [130, 242], [75, 218]]],
  [[[165, 40], [72, 168], [212, 168]], [[168, 95], [168, 245]]],
  [[[100, 45], [88, 128], [150, 112], [198, 148], [195, 208], [140, 240], [80, 222]], [[100, 45], [200, 45]]],
  [[[185, 42], [115, 105], [85, 175], [108, 232], [165, 236], [195, 192], [162, 148], [105, 158], [88, 190]]],
  SEVEN,
  [[[140, 135], [92, 100], [100, 55], [140, 40], [182, 58], [184, 100], [140, 135], [92, 170], [92, 215], [140, 242], [190, 215], [190, 170], [140, 135]]],
  [[[190, 82], [160, 45], [112, 45], [86, 80], [104, 120], [155, 125], [188, 90], [180, 160], [160, 245]]],
];

/** The cluster shown once the result for the current drawing has settled. */
export async function settledResult(page) {
  await page.waitForSelector('[data-testid=cluster-result][data-cluster]:not([data-pending])', { timeout: 60000 });
  return page.evaluate(() => {
    const result = document.querySelector('[data-testid=cluster-result]');
    const probabilities = [...document.querySelectorAll('[data-testid=cluster-probs] li')].map((li) => Number(li.dataset.probability));
    return { cluster: Number(result.dataset.cluster), majority: result.dataset.majorityLabel, text: result.textContent, probabilities };
  });
}
