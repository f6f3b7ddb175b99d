import { defineConfig } from 'vite';

// Relative base: the built site works from any static host and any sub-path.
export default defineConfig({
  base: './',
  publicDir: 'www/public',
  build: {
    outDir: 'dist',
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    // The page, and the benchmark page that drives the same worker (npm run bench).
    rollupOptions: { input: { main: 'index.html', bench: 'bench.html' } },
  },
  worker: { format: 'es' },
  server: { fs: { allow: ['.'] } },
});
