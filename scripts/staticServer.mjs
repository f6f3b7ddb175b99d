// A static host for a built folder, gzipped like GitHub Pages or Netlify: every text type,
// application/wasm and application/octet-stream (the .safetensors weights too) go out with
// Content-Encoding: gzip; files that are compressed already (data/*.gz) go out as they are. Each
// file is compressed once, at start, at level 9, and kept in memory: no per-request compression
// competing with the browser for the cores. A few lines of node:http rather than a package: sirv
// serves precompressed files only from .gz siblings on disk (a copy of dist/ to write them to),
// and `compression` compresses on every request.
import { createServer } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Content types by extension; `gzip` marks the ones a static host compresses. */
const TYPES = {
  '.html': { type: 'text/html; charset=utf-8', gzip: true },
  '.js': { type: 'text/javascript; charset=utf-8', gzip: true },
  '.mjs': { type: 'text/javascript; charset=utf-8', gzip: true },
  '.css': { type: 'text/css; charset=utf-8', gzip: true },
  '.json': { type: 'application/json', gzip: true },
  '.svg': { type: 'image/svg+xml', gzip: true },
  '.txt': { type: 'text/plain; charset=utf-8', gzip: true },
  '.wasm': { type: 'application/wasm', gzip: true },
  '.safetensors': { type: 'application/octet-stream', gzip: true },
  '.gz': { type: 'application/gzip', gzip: false },
  '.png': { type: 'image/png', gzip: false },
};
const OTHER = { type: 'application/octet-stream', gzip: true };

async function walk(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])));
  return nested.flat();
}

/** Every file under `root` by its URL path ('/assets/x.js'), raw and (where a host would) gzipped. */
export async function loadFiles(root) {
  const files = new Map();
  await Promise.all(
    (await walk(root)).map(async (path) => {
      const raw = await readFile(path);
      const { type, gzip: compress } = TYPES[extname(path).toLowerCase()] ?? OTHER;
      const gzipped = compress ? await gzipAsync(raw, { level: 9 }) : null;
      files.set(`/${relative(root, path).split(sep).join('/')}`, { type, raw, gzipped });
    }),
  );
  return files;
}

/** A URL path decoded, or as it is where it is not valid percent-encoding. */
function safeDecode(path) {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Answers one request from `files`, mounted under `base` ('/mixvae/'), and notes in `served`
 *  what it sent: the URL's path, the status, the body's bytes as sent, the file's raw bytes. */
function respond(files, base, served, request, response) {
  const path = safeDecode(new URL(request.url, 'http://host').pathname);
  const file = path.startsWith(base) && files.get(`/${path.slice(base.length)}`.replace(/\/$/, '/index.html'));
  if (!file) {
    served.push({ path, status: 404, bytes: 0, raw: 0, gzip: false });
    response.writeHead(404, { 'Content-Type': 'text/plain' });
    return response.end('not found');
  }
  const gzipped = file.gzipped && /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
  const body = gzipped ? file.gzipped : file.raw;
  response.writeHead(200, {
    'Content-Type': file.type,
    'Content-Length': body.length,
    'Cache-Control': 'max-age=600', // GitHub Pages' header; every visit here starts with an empty cache
    ...(file.gzipped && { Vary: 'Accept-Encoding' }),
    ...(gzipped && { 'Content-Encoding': 'gzip' }),
  });
  response.end(request.method === 'HEAD' ? undefined : body);
  served.push({ path, status: 200, bytes: request.method === 'HEAD' ? 0 : body.length, raw: file.raw.length, gzip: gzipped });
}

/** Serves `root` under `base` on a free port of 127.0.0.1; resolves to { url, files, served, stop }
 *  (`served`: what each answered request sent, in order; empty it between measurements). */
export async function serveCompressed(root, base = '/') {
  const files = await loadFiles(root);
  const served = [];
  const server = createServer((request, response) => respond(files, base, served, request, response));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const stop = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${server.address().port}${base}`, files, served, stop };
}
