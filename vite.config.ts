import { vitePlugin as remix } from '@remix-run/dev';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vite';
import tsconfigPaths from 'vite-tsconfig-paths';
import remixConfig from './remix.config.js';

declare module '@remix-run/node' {
  interface Future {
    v3_singleFetch: true;
  }
}

// Vitest loads this file too; the Remix plugin only belongs in app builds.
const isVitest = Boolean(process.env.VITEST);

export default defineConfig({
  plugins: [tailwindcss(), !isVitest && remix({ ...remixConfig }), tsconfigPaths()],
  server: { hmr: process.env.NODE_ENV !== 'test' },
  // A native addon: Vite's dev-mode dependency optimiser must leave it to Node.
  optimizeDeps: { exclude: ['@node-rs/argon2'] },
  build: { target: 'es2022' },
});
