// Playwright: real Debian Chromium against the production build, one fresh database per run (see e2e/global-setup.ts).
import crypto from 'node:crypto';
import { defineConfig, devices } from '@playwright/test';
import getPort from 'get-port';

// The config is evaluated by the runner and again by every worker; workers inherit the runner's
// environment, so the first evaluation picks the run id and port and the others reuse them.
process.env.LATCHKEY_E2E_RUN ??= crypto.randomBytes(4).toString('hex');
process.env.LATCHKEY_E2E_PORT ??= String(await getPort());
const baseURL = `http://127.0.0.1:${process.env.LATCHKEY_E2E_PORT}`;
process.env.LATCHKEY_E2E_BASE_URL = baseURL;

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  // Per run: Playwright empties its outputDir when it starts, and several runs may share a checkout.
  outputDir: `./test-results/${process.env.LATCHKEY_E2E_RUN}`,
  // Starts the app itself rather than via `webServer`: Playwright starts webServer *before*
  // globalSetup, and the server needs the database that global setup creates and migrates.
  globalSetup: './e2e/global-setup.ts',
  fullyParallel: true,
  forbidOnly: Boolean(process.env.CI),
  retries: process.env.CI ? 1 : 0,
  workers: process.env.CI ? 2 : undefined,
  // Generous: CI machines are shared, and a loaded 2-CPU box renders a page in seconds, not milliseconds.
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs },
  },
  projects: [
    {
      name: 'chromium',
      use: { ...devices['Desktop Chrome'], launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs } },
    },
  ],
});
