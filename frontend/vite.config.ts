import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The built UI is embedded into the Go binary (frontend/embed.go) and served by
// both shells: the Wails window and `nlpscope serve`.
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true, // public/.gitkeep is copied back, so the Go embed always compiles
    target: 'es2022',
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/v1': 'http://127.0.0.1:8765',
      '/health': 'http://127.0.0.1:8765',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
  // Tests mount components: resolve Svelte's client build, not its server build.
  resolve: mode === 'test' ? { conditions: ['browser'] } : {},
}));
