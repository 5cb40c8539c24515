// Vitest settings on top of vite.config.ts (which leaves out the Remix plugin under Vitest).
import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config';

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      include: ['app/**/*.test.{ts,tsx}', 'workers/**/*.test.ts', 'scripts/**/*.test.ts', 'cli/**/*.test.ts'],
      exclude: ['**/node_modules/**', 'build/**', 'bench/**', 'e2e/**'],
      environment: 'node',
      // Real PostgreSQL and Redis: forks isolate native handles and globals per file.
      pool: 'forks',
      globalSetup: ['./test/global-setup.ts'],
      testTimeout: 20_000,
      hookTimeout: 60_000,
      teardownTimeout: 30_000,
    },
  }),
);
