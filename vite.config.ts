import { defineConfig, type Plugin } from 'vite';

// What the page may load and run: only its own files, no eval and no inline script.
// 'wasm-unsafe-eval' lets WebAssembly compile (it is not JavaScript eval); inline *styles* stay
// allowed because ECharts writes style attributes into its tooltips.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

/** The policy as a <meta> in every built page (static hosts cannot be trusted to send headers). */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'mixvae-content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' },
    ],
  };
}

/** vite preview gzips on the fly every response whose type it does not know, the weights files
 *  among them (~260 ms for 4.3 MB here, on the cores the page loads on): they go out as they are,
 *  as a static host sends them (GitHub Pages types them application/octet-stream). */
function weightsUncompressed(): Plugin {
  return {
    name: 'mixvae-weights-uncompressed',
    configurePreviewServer(server) {
      server.middlewares.use((incoming, _response, next) => {
        const request = incoming as unknown as { url?: string; headers: Record<string, unknown> };
        if (request.url?.split('?')[0].endsWith('.safetensors')) delete request.headers['accept-encoding'];
        next();
      });
    },
  };
}

// Relative base: the built site works from any static host and any sub-path.
export default defineConfig({
  base: './',
  publicDir: 'www/public',
  plugins: [contentSecurityPolicy(), weightsUncompressed()],
  build: {
    outDir: 'dist',
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    // The page, and the benchmark page that drives the same worker (npm run bench).
    rollupOptions: { input: { main: 'index.html', bench: 'bench.html' } },
  },
  worker: { format: 'es' },
  server: { fs: { allow: ['.'] } },
  // `npm start` serves the built page; the header also covers the worker, which a <meta> cannot.
  preview: { headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY } },
});
