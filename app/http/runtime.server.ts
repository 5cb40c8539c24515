// Everything the web process needs from app/, handed to server.ts through the Remix server build (entry.server exports it), so the process loads one module graph.
//
// server.ts imports nothing from app/: in production it reads this object from build/server/index.js
// (`build.entry.module.webRuntime`), under `npm run dev` from Vite's ssrLoadModule of the same build.
// The pages, the agent API, the proxy and Bull Board therefore share one database client, one cache of
// each kind and one usage buffer (DESIGN invariant 8; app/cluster/stateful-modules.server.ts guards it).
import type { RequestHandler } from 'express';
import { startInvalidationListener, type InvalidationListener } from '~/cluster/invalidation.server';
import { duplicateStatefulModules, loadedStatefulModules } from '~/cluster/stateful-modules.server';
import { ConfigError, getEnv } from '~/config/env.server';
import { logger } from '~/logger.server';
import { createApp } from './app.server';

export interface WebAppOptions {
  /** The Remix request handler (or a stand-in in tests). */
  handler: RequestHandler;
  /** Static files served ahead of the Origin check; their requests are logged at debug. */
  assets?: RequestHandler[];
  /** True under `npm run dev`. */
  dev?: boolean;
  /** Replaces the agent API (dev passes one that follows Vite's reloads; tests may pass none). */
  api?: RequestHandler | null;
}

let api: ReturnType<typeof import('~/api/router.server').createApiRouter> | undefined;
let listener: InvalidationListener | undefined;

/** How long start-up waits for the invalidation listener before serving anyway (it keeps retrying). */
const LISTENER_START_TIMEOUT_MS = 5_000;

export const webRuntime = {
  getEnv,
  ConfigError,
  logger,

  /** This graph's agent API router (one per process), or undefined without a database. */
  async apiRouter() {
    if (!getEnv().DATABASE_URL) return undefined;
    api ??= (await import('~/api/router.server')).createApiRouter();
    return api;
  },

  /** The Express app: the agent API, Bull Board and `handler` behind the shared middleware (app.server.ts). */
  async createWebApp(options: WebAppOptions) {
    const env = getEnv();
    const withDatabase = Boolean(env.DATABASE_URL);
    const app = createApp({
      handler: options.handler,
      api: options.api === null ? undefined : (options.api ?? (await webRuntime.apiRouter())),
      assets: options.assets,
      adminQueues: withDatabase ? (await import('~/jobs/bull-board.server')).bullBoardHandler() : undefined,
      dev: options.dev ?? false,
      publicUrl: env.PUBLIC_URL,
      formMaxBytes: env.FORM_MAX_BYTES,
      uploadMaxBytes: env.UPLOAD_MAX_BYTES,
    });
    // Everything the app needs is loaded now: the copies this process holds (one each, or the guard threw).
    logger.debug({ statefulModules: loadedStatefulModules(), duplicates: duplicateStatefulModules() }, 'web app ready');
    return app;
  },

  /** Starts the process-wide services beside HTTP: the cache invalidation listener (when there is a database). */
  async start(): Promise<void> {
    const databaseUrl = getEnv().DATABASE_URL;
    if (!databaseUrl || listener) return;
    listener = startInvalidationListener({ databaseUrl, logger });
    const timedOut = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), LISTENER_START_TIMEOUT_MS).unref());
    if ((await Promise.race([listener.ready, timedOut])) === 'timeout') {
      logger.warn('cache invalidation listener not connected yet; serving anyway (caches expire on their own meanwhile)');
    }
  },

  /** After the HTTP server stopped: buffered uses to the store, then the queues, the listener and the database client. */
  async stop(): Promise<void> {
    const { closeUsageStore } = await import('~/usage/store.server');
    await closeUsageStore();
    const { closeQueues } = await import('~/queue/queue.server');
    await closeQueues();
    await listener?.close();
    listener = undefined;
    if (getEnv().DATABASE_URL) {
      const { prisma } = await import('~/db.server');
      await prisma.$disconnect();
    }
  },

  duplicateStatefulModules,
};

export type WebRuntime = typeof webRuntime;
