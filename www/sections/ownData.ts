// The user's own data: IDX files (images, and labels if they have them; gzipped or not) chosen
// with the file picker or dropped on the panel, for instance Fashion-MNIST. The core checks them
// in full (magic numbers, sizes, counts) before anything changes; then the map shows them and
// training uses them. Scores that need labels appear only when labels came with the images.
import * as Comlink from 'comlink';
import { modelChanged, type App } from '../shared/app';
import { concatChunks } from '../shared/bytes';
import { byId, clearError, detach, messageOf, showError, showFailure } from '../shared/ui';

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;
const GZIP = [0x1f, 0x8b];
/** The most images a file may hold: MNIST's 70,000 and some room. A file is refused as soon as
 *  its header claims more, or its bytes (packed, or unpacked as the stream runs) pass the size of
 *  that many images, so a gzip bomb stops within its first chunks. */
export const MAX_IMAGES = 100_000;
const IDX_HEADER = 16;
const MAX_BYTES = IDX_HEADER + MAX_IMAGES * 28 * 28;
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const LIMIT = `the limit is ${MAX_IMAGES.toLocaleString('en-US')} images of 28 x 28 (${megabytes(MAX_BYTES)})`;

/** The IDX count in a header's first 8 bytes is too large (images or labels alike). */
function checkClaimedCount(name: string, head: Uint8Array): void {
  const view = new DataView(head.buffer, head.byteOffset, 8);
  const magic = view.getUint32(0);
  if (magic !== IMAGES_MAGIC && magic !== LABELS_MAGIC) return; // sorted out by readIdxFiles
  const count = view.getUint32(4);
  if (count > MAX_IMAGES) throw new Error(`${name} claims ${count.toLocaleString('en-US')} items; ${LIMIT}`);
}

/** A file's bytes, gunzipped if gzipped, read as a stream and stopped at the first sign of more
 *  than MAX_IMAGES. */
async function bytesOf(file: File): Promise<Uint8Array> {
  if (file.size > MAX_BYTES) throw new Error(`${file.name} is ${megabytes(file.size)}; ${LIMIT}`);
  const magic = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  const gzipped = magic[0] === GZIP[0] && magic[1] === GZIP[1];
  const stream = gzipped ? file.stream().pipeThrough(new DecompressionStream('gzip')) : file.stream();
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let headChecked = false;
  try {
    for (;;) {
      let part: ReadableStreamReadResult<Uint8Array>;
      try {
        part = await reader.read();
      } catch (error) {
        throw new Error(`${file.name} looks gzipped but does not unpack (${messageOf(error)})`);
      }
      if (part.done) break;
      total += part.value.length;
      if (total > MAX_BYTES) throw new Error(`${file.name} unpacks to more than ${megabytes(MAX_BYTES)}; ${LIMIT}`);
      chunks.push(part.value);
      if (!headChecked && total >= 8) {
        checkClaimedCount(file.name, concatChunks(chunks, total).subarray(0, 8));
        headChecked = true;
      }
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  return concatChunks(chunks, total);
}

const magicOf = (bytes: Uint8Array) =>
  bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) : -1;

/** Sorts the files into one image file and at most one label file, by their IDX magic number. */
export async function readIdxFiles(files: File[]): Promise<{ images: Uint8Array; labels: Uint8Array | null; names: string[] }> {
  let images: Uint8Array | null = null;
  let labels: Uint8Array | null = null;
  const names: string[] = [];
  for (const file of files) {
    const bytes = await bytesOf(file);
    const magic = magicOf(bytes);
    if (magic === IMAGES_MAGIC) {
      if (images) throw new Error('more than one image file: choose one, and its label file if you have it');
      images = bytes;
    } else if (magic === LABELS_MAGIC) {
      if (labels) throw new Error('more than one label file');
      labels = bytes;
    } else {
      throw new Error(`${file.name} is not an IDX image or label file (its first bytes are not 00 00 08 03 or 00 00 08 01)`);
    }
    names.push(file.name);
  }
  if (!images) throw new Error('no IDX image file among them (a label file alone is not enough)');
  return { images, labels, names };
}

export interface OwnData {
  /** Back to MNIST in the panel's words (a restarted worker starts on MNIST). */
  reset(): void;
  /** Files are taken only when enabled (not while a run is training on the data in use). */
  setEnabled(enabled: boolean): void;
}

/** `onReplaced`: the user's data is now the training set (a paused run cannot go on with it). */
export function setupOwnData(app: App, onReplaced: () => void): OwnData {
  const panel = byId('own-data');
  const input = byId<HTMLInputElement>('idx-input');
  let enabled = true;
  const source = byId('data-source');
  const mapSet = byId('map-set');
  const initial = { source: source.textContent, mapSet: mapSet.textContent };

  async function use(files: File[]): Promise<void> {
    if (files.length === 0) return;
    if (!enabled) {
      showError('Your files were not used: a training run is using the data now. Pause it first.');
      return;
    }
    const title = files.map((f) => f.name).join(', ');
    const before = source.textContent;
    source.textContent = `Checking ${title}…`;
    try {
      const { images, labels, names } = await readIdxFiles(files);
      const buffers = labels ? [images.buffer, labels.buffer] : [images.buffer];
      // Transferred, not copied: the worker owns them from here.
      const loaded = await app.worker.useOwnData(Comlink.transfer(images, buffers), labels ?? undefined);
      clearError();
      app.testImages = loaded.pixels;
      panel.dataset.count = String(loaded.count);
      panel.dataset.labelled = String(loaded.labelled);
      source.textContent = `Data: ${names.join(' + ')}: ${loaded.count.toLocaleString()} images${loaded.labelled ? ' with labels' : ', no labels (so no accuracy)'}, on the map and for training.`;
      mapSet.textContent = `Your ${loaded.count.toLocaleString()} images (${names[0]})`;
      modelChanged(app, loaded.model, 'loaded');
      onReplaced();
    } catch (error) {
      showFailure(`${title} not used`, error, '. The data in use is unchanged.');
      source.textContent = before;
    } finally {
      input.value = '';
    }
  }

  listenForFiles(panel, input, use);

  return {
    reset(): void {
      source.textContent = initial.source;
      mapSet.textContent = initial.mapSet;
      delete panel.dataset.count;
      delete panel.dataset.labelled;
    },
    setEnabled(next: boolean): void {
      enabled = next;
      input.disabled = !next;
      panel.classList.toggle('disabled', !next);
    },
  };
}

/** Hands `use` the files chosen with the picker or dropped on the panel. */
function listenForFiles(panel: HTMLElement, input: HTMLInputElement, use: (files: File[]) => Promise<void>): void {
  input.addEventListener('change', () => detach(use([...(input.files ?? [])]), 'Your files were not used'));
  panel.addEventListener('dragover', (event) => {
    event.preventDefault();
    panel.classList.add('dropping');
  });
  panel.addEventListener('dragleave', () => panel.classList.remove('dropping'));
  panel.addEventListener('drop', (event) => {
    event.preventDefault();
    panel.classList.remove('dropping');
    detach(use([...(event.dataTransfer?.files ?? [])]), 'Your files were not used');
  });
}
