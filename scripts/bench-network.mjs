// `npm run bench:network`: how soon the built page (dist/, not rebuilt here) answers a new visitor
// with a cold cache over a slow network. For each connection, each visit in a new browser context:
// ms from navigation to the performance marks 'first-cluster' (the first drawing's cluster shown)
// and 'model-ready' (the engine answers), the bytes on the wire before each, by kind, and the whole
// first visit's (until no request has been in flight for 2 s after model-ready). A 7 is drawn in
// the page the moment the pad takes ink (scripts/bench.mjs's drawAtPadReady). Prints a table and
// writes results/bench/network.json.
//
// dist/ is served gzipped as a static host serves it (scripts/staticServer.mjs), under /mixvae/ as
// on GitHub Pages, over HTTP/1.1 (Pages speaks HTTP/2: one connection rather than up to six).
//
// Throttling: Chromium's own, Network.emulateNetworkConditions on the page's DevTools session, set
// before navigation. It holds for the page's dedicated worker too (which fetches the wasm, the
// test digits and, if the page could not hand them over, the weights), and within the same
// bandwidth: measured in Chromium 156, the worker's wasm and the page's weights download side by
// side at about half the rate each, together at the rate set, and the wasm's response headers
// come one round trip after its request. Each visit checks this again (the bytes over the time
// any body was arriving must not exceed the rate set) and fails otherwise. The page's session
// does not report the worker's requests, though: when each request went out and ended comes from
// Playwright's context events (Playwright attaches to workers itself), and what each response
// weighed from the server's own log. Latency is added once per request (to its response headers),
// as DevTools and Lighthouse's devtools throttling do; TCP's handshakes and slow start are not
// modelled.
//
// Options (argv, or the environment): --connection fast|slow|both (CONNECTION), --visits N
// (VISITS, default 3; the median is reported, every visit is in the JSON), --dist PATH (DIST),
// --backend auto|webgpu (BACKEND; webgpu: the page set to WebGPU, which answers on the engine's
// CPU build first and then moves to its WebGPU build, reported as 'webgpu-ready';
// results/bench/network-webgpu.json).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { launch, SEVEN } from '../tests/e2e/browser.mjs';
import { drawAtPadReady, median } from './bench.mjs';
import { serveCompressed } from './staticServer.mjs';

const OUT_DIR = 'results/bench';
const outFile = (backend) => join(OUT_DIR, backend === 'auto' ? 'network.json' : `network-${backend}.json`);
const BASE = '/mixvae/';
const IDLE_MS = 2000; // the first visit is over once no request has been in flight this long
const WAIT_MS = 10 * 60_000; // the longest any one wait of a visit may take

/** Mbit/s are 10^6 bit/s; the slow one is Lighthouse's slow 4G (1.6 Mbit/s down, 750 kbit/s up,
 *  150 ms round trip), taken as given (Lighthouse's devtools throttling itself multiplies the
 *  round trip by 3.75 and the rates by 0.9 to make up for what it does not model). */
const CONNECTIONS = {
  fast: { name: '10 Mbit/s, 40 ms', downMbps: 10, upMbps: 10, rttMs: 40 },
  slow: { name: '1.6 Mbit/s, 150 ms', downMbps: 1.6, upMbps: 0.75, rttMs: 150 },
};
const KINDS = ['wasm', 'weights', 'test digits', 'scripts', 'css/html', 'other'];

// ---- options ----------------------------------------------------------------------------------
function fail(message) {
  console.error(`bench:network: ${message}`);
  process.exit(2);
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: { connection: { type: 'string' }, visits: { type: 'string' }, dist: { type: 'string' }, backend: { type: 'string' } },
    }));
  } catch (error) {
    fail(`${error.message}\nusage: node scripts/bench-network.mjs [--connection fast|slow|both] [--visits N] [--dist PATH] [--backend auto|webgpu]`);
  }
  const backend = values.backend ?? process.env.BACKEND ?? 'auto';
  if (!['auto', 'webgpu'].includes(backend)) fail(`--backend must be auto or webgpu (got '${backend}')`);
  const connection = values.connection ?? process.env.CONNECTION ?? 'both';
  if (!['fast', 'slow', 'both'].includes(connection)) fail(`--connection must be fast, slow or both (got '${connection}')`);
  const visits = String(values.visits ?? process.env.VISITS ?? '3').trim();
  if (!/^[1-9]\d*$/.test(visits)) fail(`--visits (or VISITS) must be a positive whole number (got '${visits}')`);
  const dist = resolve(values.dist ?? process.env.DIST ?? 'dist');
  if (!existsSync(join(dist, 'index.html'))) fail(`${dist}/index.html not found: build the page first (npm run build)`);
  return { connections: connection === 'both' ? ['fast', 'slow'] : [connection], visits: Number(visits), dist, backend };
}

// ---- waiting ----------------------------------------------------------------------------------
/** Resolves once `condition()` holds, checked every 100 ms; rejects after `timeoutMs`. */
async function until(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what()}`);
    await sleep(100);
  }
}

async function waitForMark(page, name) {
  try {
    await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, name, { timeout: WAIT_MS, polling: 100 });
  } catch (error) {
    throw new Error(`the page did not mark '${name}': ${error.message}`);
  }
}

/** Every request of the context's pages and workers, and a wait for the network to fall idle. */
function watchRequests(context) {
  const requests = [];
  const inFlight = new Set();
  let changed = Date.now();
  context.on('request', (r) => {
    requests.push(r);
    inFlight.add(r);
    changed = Date.now();
  });
  const ended = (r) => {
    inFlight.delete(r);
    changed = Date.now();
  };
  context.on('requestfinished', ended);
  context.on('requestfailed', ended);
  const idle = () =>
    until(
      () => inFlight.size === 0 && Date.now() - changed >= IDLE_MS,
      WAIT_MS,
      () => `the network to fall idle (in flight: ${[...inFlight].map((r) => r.url()).join(', ')})`,
    );
  return { requests, idle };
}

// ---- bytes ------------------------------------------------------------------------------------
function kindOf(path) {
  if (path.endsWith('.wasm')) return 'wasm';
  if (path.endsWith('.safetensors')) return 'weights';
  if (path.startsWith('data/')) return 'test digits';
  if (/\.m?js$/.test(path)) return 'scripts';
  if (path === '' || /\.(css|html)$/.test(path)) return 'css/html';
  return 'other';
}

/** One row per request: when it went out, when its body began and ended (ms on the page's clock,
 *  from navigation), and from the server's log in the same order per path: its bytes as sent
 *  (gzip where the server compressed), its raw bytes, its status. */
function transfers(requests, served, origin, timeOrigin) {
  const log = new Map();
  for (const s of served) log.set(s.path, [...(log.get(s.path) ?? []), s]);
  const rows = [];
  for (const request of requests) {
    const url = new URL(request.url());
    if (url.origin !== origin) continue;
    const sent = log.get(decodeURIComponent(url.pathname))?.shift();
    const t = request.timing();
    const start = t.startTime - timeOrigin;
    rows.push({
      path: decodeURIComponent(url.pathname).slice(BASE.length),
      kind: kindOf(decodeURIComponent(url.pathname).slice(BASE.length)),
      status: request.failure() ? `failed: ${request.failure().errorText}` : (sent?.status ?? 'not served'),
      gzip: sent?.gzip ?? false,
      bytes: sent?.bytes ?? 0,
      raw: sent?.raw ?? 0,
      startMs: start,
      bodyStartMs: start + Math.max(t.responseStart, 0),
      endMs: t.responseEnd >= 0 ? start + t.responseEnd : null,
    });
  }
  const unmatched = [...log.values()].flat();
  if (unmatched.length) throw new Error(`the server answered requests the browser did not report: ${unmatched.map((s) => s.path).join(', ')}`);
  return rows;
}

/** The time in [from, to] weighted by each moment's share of the link, 1 / (bodies arriving then):
 *  Chromium's throttle splits its rate evenly among the responses whose bodies are arriving. */
function share(from, to, rows) {
  const cuts = [from, to, ...rows.flatMap((r) => [r.bodyStartMs, r.endMs]).filter((x) => x > from && x < to)].sort((a, b) => a - b);
  let total = 0;
  for (let i = 1; i < cuts.length; i++) {
    const mid = (cuts[i - 1] + cuts[i]) / 2;
    const arriving = rows.filter((r) => r.bodyStartMs <= mid && mid < r.endMs).length;
    total += (cuts[i] - cuts[i - 1]) / Math.max(arriving, 1);
  }
  return total;
}

/** How much of `row`'s body had arrived at `t`: all of it once it ended; while it was arriving,
 *  its bytes in proportion to its share of the link so far (an estimate). */
function receivedBy(row, t, rows) {
  if (t >= row.endMs) return row.bytes;
  if (t <= row.bodyStartMs) return 0;
  return Math.round((row.bytes * share(row.bodyStartMs, t, rows)) / share(row.bodyStartMs, row.endMs, rows));
}

function byKind(rows, bytesOf) {
  const kinds = Object.fromEntries(KINDS.map((k) => [k, 0]));
  for (const r of rows) kinds[r.kind] += bytesOf(r);
  return { total: Object.values(kinds).reduce((a, b) => a + b, 0), byKind: kinds };
}

/** The bytes that had arrived at `t`: `received` counts the part of the bodies still arriving
 *  then (estimated, see receivedBy), `completed` only the responses that had ended. */
function bytesBefore(rows, t) {
  return {
    received: byKind(rows, (r) => receivedBy(r, t, rows)),
    completed: byKind(rows, (r) => (r.endMs <= t ? r.bytes : 0)),
  };
}

/** The visit's rate while any body was arriving (Mbit/s): above the rate set, some traffic was
 *  not throttled. */
function effectiveMbps(rows) {
  const spans = rows.filter((r) => r.endMs != null).map((r) => [r.bodyStartMs, r.endMs]).sort((a, b) => a[0] - b[0]);
  let busy = 0;
  let reach = -Infinity;
  for (const [a, b] of spans) {
    busy += Math.max(0, b - Math.max(a, reach));
    reach = Math.max(reach, b);
  }
  return (rows.reduce((total, r) => total + r.bytes, 0) * 8) / (busy * 1e3);
}

// ---- a visit ----------------------------------------------------------------------------------
function conditions(connection) {
  const bytesPerSecond = (mbps) => (mbps * 1e6) / 8;
  return {
    offline: false,
    latency: connection.rttMs,
    downloadThroughput: bytesPerSecond(connection.downMbps),
    uploadThroughput: bytesPerSecond(connection.upMbps),
  };
}

/** One visit with an empty cache: a new context, throttled before navigation. */
async function visit(browser, server, connection, backend) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await context.addInitScript(drawAtPadReady, SEVEN);
    // The page's backend choice (its select, remembered in localStorage): 'webgpu' as on a
    // machine with a GPU (software WebGPU here).
    if (backend !== 'auto') await context.addInitScript((choice) => localStorage.setItem('mixvae.backend', choice), backend);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', conditions(connection));
    const network = watchRequests(context);
    server.served.length = 0;
    // Not waiting for 'load': the preloaded weights hold it back for tens of seconds when slow.
    await page.goto(server.url, { waitUntil: 'commit' });
    await waitForMark(page, 'first-cluster');
    await waitForMark(page, 'model-ready');
    // Set to WebGPU, the CPU build answers first and the page then moves to the WebGPU build.
    if (backend === 'webgpu') await waitForMark(page, 'webgpu-ready');
    await network.idle();
    if (errors.length) throw new Error(`the page failed: ${errors.join('; ')}`);
    const { timeOrigin, marks } = await page.evaluate(() => ({
      timeOrigin: performance.timeOrigin,
      marks: Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])),
    }));
    return measure(transfers(network.requests, server.served, new URL(server.url).origin, timeOrigin), marks, connection);
  } finally {
    await context.close();
  }
}

function measure(rows, marks, connection) {
  const mbps = effectiveMbps(rows);
  if (mbps > 1.2 * connection.downMbps) {
    throw new Error(`${mbps.toFixed(1)} Mbit/s arrived while ${connection.downMbps} Mbit/s was set: some requests were not throttled`);
  }
  const firstAnswerMs = marks['first-cluster'];
  const engineReadyMs = marks['model-ready'];
  return {
    firstAnswerMs,
    engineReadyMs,
    bytesBeforeFirstAnswer: bytesBefore(rows, firstAnswerMs),
    bytesBeforeEngineReady: bytesBefore(rows, engineReadyMs),
    wholeVisit: { ...byKind(rows, (r) => r.bytes), raw: byKind(rows, (r) => r.raw) },
    wasm: rows.filter((r) => r.kind === 'wasm').map((r) => ({ path: r.path, gzip: r.bytes, raw: r.raw })),
    effectiveMbps: mbps,
    marks,
    requests: rows,
  };
}

// ---- report -----------------------------------------------------------------------------------
function summarize(visits) {
  const med = (get) => median(visits.map(get));
  return {
    firstAnswerMs: med((v) => v.firstAnswerMs),
    engineReadyMs: med((v) => v.engineReadyMs),
    webgpuReadyMs: visits.every((v) => v.marks['webgpu-ready'] !== undefined) ? med((v) => v.marks['webgpu-ready']) : null,
    bytesBeforeFirstAnswer: med((v) => v.bytesBeforeFirstAnswer.received.total),
    bytesBeforeEngineReady: med((v) => v.bytesBeforeEngineReady.received.total),
    wholeVisit: med((v) => v.wholeVisit.total),
    wholeVisitByKind: Object.fromEntries(
      KINDS.map((k) => [k, { gzip: med((v) => v.wholeVisit.byKind[k]), raw: med((v) => v.wholeVisit.raw.byKind[k]) }]),
    ),
  };
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const seconds = (ms) => (ms / 1e3).toFixed(1);

function printTable(results) {
  const head = ['connection', 'first answer (s)', 'engine ready (s)', 'bytes before first answer', 'bytes before engine ready', 'whole first visit'];
  const lines = results.map(({ connection, median: m }) => [
    connection.name,
    seconds(m.firstAnswerMs),
    seconds(m.engineReadyMs),
    mb(m.bytesBeforeFirstAnswer),
    mb(m.bytesBeforeEngineReady),
    mb(m.wholeVisit),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const l of lines) console.log(line(l));
}

function printDetails({ connection, visits, median: m }) {
  const kinds = KINDS.filter((k) => m.wholeVisitByKind[k].gzip > 0)
    .map((k) => `${k} ${(m.wholeVisitByKind[k].gzip / 1e6).toFixed(2)} / ${(m.wholeVisitByKind[k].raw / 1e6).toFixed(2)}`)
    .join(', ');
  console.log(`${connection.name}: fetched (MB gzip / raw): ${kinds}`);
  const each = (get) => visits.map((v) => seconds(get(v))).join(', ');
  console.log(`  visits: first answer ${each((v) => v.firstAnswerMs)} s; engine ready ${each((v) => v.engineReadyMs)} s; wasm ${visits[0].wasm.map((w) => `${w.path} ${mb(w.raw)} raw`).join(', ')}`);
  if (m.webgpuReadyMs !== null) console.log(`  the page on the WebGPU build (mark 'webgpu-ready'): ${each((v) => v.marks['webgpu-ready'])} s`);
}

function cpuModel() {
  return readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? 'unknown';
}

async function main() {
  const { connections, visits, dist, backend } = options();
  console.error(`== serving ${dist} gzipped (level 9, compressed once)`);
  const server = await serveCompressed(dist, BASE);
  let browser;
  let chromium;
  const results = [];
  try {
    // 'auto' without WebGPU: the CPU build, as on a machine without a GPU.
    browser = await launch({ webgpu: backend === 'webgpu' });
    chromium = browser.version();
    for (const key of connections) {
      const connection = CONNECTIONS[key];
      const runs = [];
      for (let i = 1; i <= visits; i++) {
        console.error(`== ${connection.name}: visit ${i} of ${visits}`);
        const run = await visit(browser, server, connection, backend);
        console.error(`   first answer ${seconds(run.firstAnswerMs)} s, engine ready ${seconds(run.engineReadyMs)} s, ${mb(run.wholeVisit.total)} fetched`);
        runs.push(run);
      }
      results.push({ key, connection: { ...connection, devtools: conditions(connection) }, median: summarize(runs), visits: runs });
    }
  } finally {
    await browser?.close();
    await server.stop();
  }
  mkdirSync(OUT_DIR, { recursive: true });
  const report = {
    date: new Date().toISOString(),
    chromium,
    cpu: { model: cpuModel(), cores: cpus().length },
    dist,
    server: { base: BASE, gzipLevel: 9, http: '1.1' },
    idleMs: IDLE_MS,
    backend,
    visitsPerConnection: visits,
    connections: results,
  };
  writeFileSync(outFile(backend), JSON.stringify(report, null, 2));
  const engine = backend === 'webgpu' ? 'the page set to WebGPU' : 'automatic backend, no WebGPU';
  console.log(`\nFirst visit over a throttled network, cold cache, ${engine} (Chromium ${report.chromium}, ${report.cpu.model}, ${report.cpu.cores} cores; medians of ${visits})\n`);
  printTable(results);
  console.log('');
  for (const r of results) printDetails(r);
  console.log('\nBytes are response bodies as sent (gzip where the server compressed them), headers not counted; before a');
  console.log('moment they include the part of the responses still arriving then, estimated from their share of the link.');
  console.log(`\nJSON: ${outFile(backend)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
