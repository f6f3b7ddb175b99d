// The first answer's TypeScript (www/shared/firstAnswer.ts and drawingInput.ts, bundled here by
// vite for Node) against what the engine answers for the same drawings from the same compact
// weights (tests/vectors/first-answer.json, kept by tests/shipped_model.rs): the same model input,
// code, probabilities, cluster and reconstruction.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { build } from 'vite';

const root = new URL('../..', import.meta.url).pathname;
const vectors = JSON.parse(readFileSync(join(root, 'tests/vectors/first-answer.json'), 'utf8'));
const weights = new Uint8Array(readFileSync(join(root, 'www/model/mixvae.compact.safetensors')));
const outDir = mkdtempSync(join(tmpdir(), 'mixvae-first-answer-'));
let FirstAnswerModel;

before(async () => {
  await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      outDir,
      minify: false,
      lib: { entry: join(root, 'www/shared/firstAnswer.ts'), formats: ['es'], fileName: 'firstAnswer' },
    },
  });
  ({ FirstAnswerModel } = await import(pathToFileURL(join(outDir, 'firstAnswer.js')).href));
});
after(() => rmSync(outDir, { recursive: true, force: true }));

/** Every value of `actual` within `tolerance` of `expected`'s; names the first that is not. */
function assertClose(actual, expected, tolerance, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}[${i}]: ${actual[i]} against the engine's ${expected[i]}`);
  }
}

test('the first answer gives what the engine gives for the same drawings', () => {
  const model = FirstAnswerModel.fromSafeTensors(weights);
  assert.ok(vectors.length >= 3, 'drawings to compare');
  vectors.forEach(({ width, height, ink, answer }, n) => {
    const pixels = Uint8Array.from(Buffer.from(ink, 'hex'));
    const ours = model.classify(pixels, width, height);
    assert.equal(ours.cluster, answer.cluster, `drawing ${n}: the cluster`);
    assertClose(ours.input, answer.input, 1e-6, `drawing ${n}: the model's input`);
    for (const part of ['mean', 'logvar', 'probabilities', 'reconstruction']) {
      assertClose(ours[part], answer[part], 1e-5, `drawing ${n}: ${part}`);
    }
  });
});
