// Byte helpers used on both sides of the worker boundary.

/** The chunks of a stream, `total` bytes in all, as one array. */
export function concatChunks(chunks: Uint8Array[], total: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
