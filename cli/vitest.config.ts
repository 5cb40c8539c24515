// Vitest for the CLI's tests (cli/*.test.ts), on top of the project's settings, until vitest.config.ts includes cli/.
import { defineConfig, mergeConfig } from 'vitest/config';
import projectConfig from '../vitest.config';

export default mergeConfig(projectConfig, defineConfig({ test: { include: ['cli/**/*.test.ts'] } }));
