// Dataset files: fetched with progress, gunzipped in the browser (DecompressionStream). A host
// that already decoded the gzip (Content-Encoding) is detected by the missing gzip magic.
import { concatChunks } from '../shared/bytes';

export interface DownloadProgress {
  file: string;
  loaded: number;
  /** Bytes expected, when the server says. */
  total: number | null;
}

export async function fetchDataset(url: string, onProgress?: (p: DownloadProgress) => void): Promise<Uint8Array> {
  const file = url.slice(url.lastIndexOf('/') + 1);
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`${file} could not be fetched (HTTP ${response.status})`);
  const length = Number(response.headers.get('content-length'));
  // With a Content-Encoding the body arrives decoded while Content-Length counts the encoded
  // bytes: the total is then unknown ("4.2 MB of 1.6 MB" otherwise).
  const encoded = response.headers.get('content-encoding') !== null;
  const total = !encoded && Number.isFinite(length) && length > 0 ? length : null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress?.({ file, loaded, total });
  }
  const bytes = concatChunks(chunks, loaded);
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!gzipped) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
