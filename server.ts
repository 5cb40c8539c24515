// The web process: Express + Remix, from build/ in production or through Vite's dev middleware with --dev.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequestHandler } from '@remix-run/express';
import type { ServerBuild } from '@remix-run/node';
import express, { type RequestHandler } from 'express';
import type { ViteDevServer } from 'vite';
import { ConfigError, getEnv } from '~/config/env.server';
import { createApp } from '~/http/app.server';
import { logger } from '~/logger.server';

const root = path.dirname(fileURLToPath(import.meta.url));

export interface StartServerOptions {
  port?: number;
  host?: string;
  /** Vite in middleware mode with HMR instead of the built app (npm run dev). */
  dev?: boolean;
  /** Replaces the Remix handler (tests). */
  handler?: RequestHandler;
}

export interface RunningServer {
  server: http.Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish, then closes the database client and queues. */
  close(): Promise<void>;
}

async function remixHandlers(dev: boolean): Promise<{ handler: RequestHandler; assets: RequestHandler[]; vite?: ViteDevServer }> {
  // clientIp: the socket address as express sees it (honours its 'trust proxy' setting); audit rows record it.
  const getLoadContext = (req: express.Request, res: express.Response) => ({ cspNonce: res.locals.cspNonce as string, clientIp: req.ip ?? null });
  if (dev) {
    const vite = await import('vite').then((v) => v.createServer({ server: { middlewareMode: true } }));
    const handler = createRequestHandler({
      build: () => vite.ssrLoadModule('virtual:remix/server-build') as Promise<ServerBuild>,
      getLoadContext,
      mode: 'development',
    });
    return { handler, assets: [vite.middlewares as unknown as RequestHandler], vite };
  }
  const buildDir = path.join(root, 'build');
  const build = (await import(pathToFileURL(path.join(buildDir, 'server/index.js')).href)) as ServerBuild;
  return {
    handler: createRequestHandler({ build, getLoadContext, mode: 'production' }),
    assets: [
      // Vite fingerprints everything under /assets, so it may be cached forever.
      express.static(path.join(buildDir, 'client/assets'), { immutable: true, maxAge: '1y', index: false }),
      express.static(path.join(buildDir, 'client'), { maxAge: '1h', index: false }),
    ],
  };
}

/** Builds the whole web app (Remix or the given handler) without listening. */
export async function createWebApp(options: { dev?: boolean; handler?: RequestHandler } = {}) {
  const env = getEnv();
  const dev = options.dev ?? false;
  const remix = options.handler ? { handler: options.handler, assets: [] } : await remixHandlers(dev);
  const app = createApp({
    handler: remix.handler,
    // The agent API needs the database; loaded only when there is one (tests without it keep the plain app).
    api: env.DATABASE_URL ? (await import('~/api/router.server')).createApiRouter() : undefined,
    assets: remix.assets,
    adminQueues: env.DATABASE_URL ? (await import('~/jobs/bull-board.server')).bullBoardHandler() : undefined,
    dev,
    publicUrl: env.PUBLIC_URL,
    formMaxBytes: env.FORM_MAX_BYTES,
    uploadMaxBytes: env.UPLOAD_MAX_BYTES,
  });
  return { app, vite: 'vite' in remix ? remix.vite : undefined };
}

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const env = getEnv();
  const { app, vite } = await createWebApp(options);
  const server = http.createServer(app);
  // Node's default keep-alive (5 s) is shorter than most load balancers' idle timeout; avoid their 502s.
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? env.HOST;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? env.PORT, host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? env.PORT);
  const url = `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;

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
      // Uses the proxy buffered go to the store before the connections close.
      const { closeUsageStore } = await import('~/usage/store.server');
      await closeUsageStore();
      const { closeQueues } = await import('~/queue/queue.server');
      await closeQueues();
      if (env.DATABASE_URL) {
        const { prisma } = await import('~/db.server');
        await prisma.$disconnect();
      }
    })());
  return { server, url, close };
}

async function main() {
  process.env.LATCHKEY_PROCESS ??= 'web';
  try {
    getEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) console.error(`Configuration error: ${problem}`);
      process.exit(1);
    }
    throw error;
  }
  const running = await startServer({ dev: process.argv.includes('--dev') });
  logger.info({ url: running.url }, `web server listening on ${running.url}`);

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
    logger.fatal({ err: error }, 'the web server failed to start');
    process.exit(1);
  });
}
