// The web process: Express + Remix, from build/ in production or through Vite's dev middleware with --dev.
//
// It imports nothing from app/ itself. Every server module (the agent API, the proxy, Bull Board, the
// database client, caches, queues, logger, configuration) comes from the Remix server build, which exports
// them as `webRuntime` (app/http/runtime.server.ts): loading any of them from source as well would give the
// process a second copy of each, with caches the other copy never clears (DESIGN invariant 8).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequestHandler } from '@remix-run/express';
import type { ServerBuild } from '@remix-run/node';
import express, { type RequestHandler } from 'express';
import type { ViteDevServer } from 'vite';
import type { WebRuntime } from './app/http/runtime.server';

const root = path.dirname(fileURLToPath(import.meta.url));

export interface StartServerOptions {
  port?: number;
  host?: string;
  /** Vite in middleware mode with HMR instead of the built app (npm run dev). */
  dev?: boolean;
  /** Replaces the Remix handler (tests); needs `runtime`. */
  handler?: RequestHandler;
  /** The runtime to use with `handler` (tests pass the one they loaded); otherwise the build's. */
  runtime?: WebRuntime;
}

/** The address the server really listens on, and whether other machines can reach it. */
export interface BoundAddress {
  host: string;
  port: number;
  /** http://host:port of the bound address (IPv6 in brackets). */
  url: string;
  /** False for a loopback address (this machine only); true for 0.0.0.0, :: or a network interface. */
  reachableFromOtherMachines: boolean;
}

export interface RunningServer {
  server: http.Server;
  /** The bound address's URL. */
  url: string;
  address: BoundAddress;
  runtime: WebRuntime;
  /** Stops accepting, lets in-flight requests finish, then closes the usage store, queues, listener and database client. */
  close(): Promise<void>;
}

interface LoadedWeb {
  runtime: WebRuntime;
  handler: RequestHandler;
  assets: RequestHandler[];
  /** The agent API when it must not be the runtime's own (dev: it follows Vite's reloads). */
  api?: RequestHandler;
  vite?: ViteDevServer;
}

function runtimeOf(build: ServerBuild): WebRuntime {
  const runtime = (build.entry.module as { webRuntime?: WebRuntime }).webRuntime;
  if (!runtime) throw new Error('The server build exports no webRuntime (app/entry.server.tsx); run npm run build');
  return runtime;
}

// clientIp: the socket address as express sees it (honours its 'trust proxy' setting); audit rows record it.
const getLoadContext = (req: express.Request, res: express.Response) => ({ cspNonce: res.locals.cspNonce as string, clientIp: req.ip ?? null });

async function loadWeb(options: StartServerOptions): Promise<LoadedWeb> {
  if (options.handler) {
    if (!options.runtime) throw new Error('startServer({ handler }) needs the runtime to build the app with');
    return { runtime: options.runtime, handler: options.handler, assets: [] };
  }
  if (options.dev) {
    const vite = await import('vite').then((v) => v.createServer({ server: { middlewareMode: true } }));
    const loadBuild = () => vite.ssrLoadModule('virtual:remix/server-build') as Promise<ServerBuild>;
    // Vite re-evaluates what changed; each API request takes the router of the current build, as the pages do.
    const api: RequestHandler = (req, res, next) => {
      loadBuild()
        .then((build) => runtimeOf(build).apiRouter())
        .then((router) => (router ? router(req, res, next) : next()), next);
    };
    return {
      runtime: runtimeOf(await loadBuild()),
      handler: createRequestHandler({ build: loadBuild, getLoadContext, mode: 'development' }),
      assets: [vite.middlewares as unknown as RequestHandler],
      api,
      vite,
    };
  }
  const buildDir = path.join(root, 'build');
  const build = (await import(pathToFileURL(path.join(buildDir, 'server/index.js')).href)) as ServerBuild;
  return {
    runtime: runtimeOf(build),
    handler: createRequestHandler({ build, getLoadContext, mode: 'production' }),
    assets: [
      // Vite fingerprints everything under /assets, so it may be cached forever.
      express.static(path.join(buildDir, 'client/assets'), { immutable: true, maxAge: '1y', index: false }),
      express.static(path.join(buildDir, 'client'), { maxAge: '1h', index: false }),
    ],
  };
}

function boundAddress(server: http.Server): BoundAddress {
  const { address, family, port } = server.address() as AddressInfo;
  const ipv6 = family === 'IPv6';
  const loopback = address === '::1' || address.startsWith('127.') || address === '::ffff:127.0.0.1';
  return { host: address, port, url: `http://${ipv6 ? `[${address}]` : address}:${port}`, reachableFromOtherMachines: !loopback };
}

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const web = await loadWeb(options);
  const { runtime, vite } = web;
  const env = runtime.getEnv();
  await runtime.start();
  const app = await runtime.createWebApp({ handler: web.handler, assets: web.assets, dev: options.dev ?? false, api: web.api });
  const server = http.createServer(app);
  // Node's default keep-alive (5 s) is shorter than most load balancers' idle timeout; avoid their 502s.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? env.PORT, options.host ?? env.HOST, resolve);
  });
  const address = boundAddress(server);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets become idle as their last response ends; close them as they do.
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), 250);
      await stopped;
      clearInterval(sweeper);
      await vite?.close();
      await runtime.stop();
    })());
  return { server, url: address.url, address, runtime, close };
}

/** What the web process tells `npm start` (over the IPC channel it opened) once it listens. */
export interface ListeningMessage {
  type: 'listening';
  address: BoundAddress;
}

function printConfigProblems(error: unknown): boolean {
  const problems = (error as { name?: string; problems?: unknown })?.name === 'ConfigError' ? (error as { problems: unknown }).problems : null;
  if (!Array.isArray(problems)) return false;
  for (const problem of problems) console.error(`Configuration error: ${String(problem)}`);
  return true;
}

async function main() {
  process.env.LATCHKEY_PROCESS ??= 'web';
  let running: RunningServer;
  try {
    running = await startServer({ dev: process.argv.includes('--dev') });
  } catch (error) {
    if (printConfigProblems(error)) process.exit(1);
    throw error;
  }
  const { logger, getEnv } = running.runtime;
  const { address } = running;
  logger.info(
    { url: address.url, reachableFromOtherMachines: address.reachableFromOtherMachines },
    `web server listening on ${address.url}${address.reachableFromOtherMachines ? '' : ' (this machine only)'}`,
  );
  if (process.send) process.send({ type: 'listening', address } satisfies ListeningMessage);

  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down the web server');
    setTimeout(() => {
      logger.error('in-flight requests did not finish in time; exiting');
      process.exit(1);
    }, getEnv().SHUTDOWN_TIMEOUT_MS).unref();
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    // The logger lives in the build, which may be what failed to load.
    console.error('The web server failed to start:', error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
