// The whole web app in a test process: the Express layer (createApp) around Remix serving the real route config, over real HTTP.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestHandler } from '@remix-run/express';
import type { ServerBuild } from '@remix-run/node';
import type { Request as ExpressRequest, Response as ExpressResponse } from 'express';
import { createServer, type ViteDevServer } from 'vite';
import { getEnv } from '~/config/env.server';
import { createApp } from '~/http/app.server';

/** How often each route's loader and action ran, by route id (e.g. "routes/orgs.$orgSlug.members"). */
export type RouteCalls = Map<string, { loader: number; action: number }>;

export interface RemixTestApp {
  /** Where the app listens, e.g. http://127.0.0.1:40123 (also its PUBLIC_URL unless told otherwise). */
  url: string;
  /** The route manifest Remix serves: app/routes.ts resolved by the Remix Vite plugin, as in a build. */
  routes: ServerBuild['routes'];
  calls: RouteCalls;
  close(): Promise<void>;
}

/**
 * Loads the server build through the Remix Vite plugin (vite.config.ts, as `npm run dev` does) instead of
 * reading build/: the build is shared with the browser tests, missing on a clean clone when the unit tests
 * run first, and a rebuild costs a minute of this machine's two cores, while the same route config, route
 * modules and Remix server runtime load this way in about three seconds. The request handler runs in
 * production mode, so errors are sanitised as in production.
 */
async function loadServerBuild(): Promise<{ build: ServerBuild; vite: ViteDevServer }> {
  // vite.config.ts leaves the Remix plugin out under Vitest (it would take over the test transforms).
  const vitest = process.env.VITEST;
  delete process.env.VITEST;
  let vite: ViteDevServer;
  try {
    vite = await createServer({
      configFile: 'vite.config.ts',
      logLevel: 'warn',
      appType: 'custom',
      server: { middlewareMode: true, hmr: false, watch: null },
      optimizeDeps: { noDiscovery: true, include: [] },
    });
  } finally {
    process.env.VITEST = vitest;
  }
  const build = (await vite.ssrLoadModule('virtual:remix/server-build')) as ServerBuild;
  return { build, vite };
}

/** Counts loader and action calls per route, so a test can prove a request reached the route it meant. */
function instrument(build: ServerBuild, calls: RouteCalls): ServerBuild {
  const routes: ServerBuild['routes'] = {};
  for (const [id, route] of Object.entries(build.routes)) {
    if (!route) continue;
    const counts = { loader: 0, action: 0 };
    calls.set(id, counts);
    const module = { ...route.module };
    const { loader, action } = route.module;
    if (loader) module.loader = (args) => (counts.loader++, loader(args));
    if (action) module.action = (args) => (counts.action++, action(args));
    routes[id] = { ...route, module };
  }
  return { ...build, routes };
}

export async function startRemixTestApp(options: { publicUrl?: (url: string) => string } = {}): Promise<RemixTestApp> {
  const { build, vite } = await loadServerBuild();
  const calls: RouteCalls = new Map();
  const instrumented = instrument(build, calls);
  const handler = createRequestHandler({
    build: instrumented,
    mode: 'production',
    getLoadContext: (req: ExpressRequest, res: ExpressResponse) => ({ cspNonce: res.locals.cspNonce as string, clientIp: req.ip ?? null }),
  });
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const env = getEnv();
  const { createApiRouter } = await import('~/api/router.server');
  const app = createApp({
    handler,
    api: createApiRouter(),
    publicUrl: options.publicUrl?.(url) ?? url,
    formMaxBytes: env.FORM_MAX_BYTES,
    uploadMaxBytes: env.UPLOAD_MAX_BYTES,
  });
  server.on('request', app);
  return {
    url,
    routes: instrumented.routes,
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await vite.close();
    },
  };
}
