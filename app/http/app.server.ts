// Builds the Express app around a request handler: ids, logging, unreadable URLs, size limits, security headers, Origin check, /healthz.
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { logger as baseLogger } from '~/logger.server';
import type { FastProxy } from '~/api/proxy.server';
import { bodyLimit, discardUnreadBody } from './body-limit.server';
import { sendHttpError } from './error-page.server';
import { mountFastPath } from './fast-path.server';
import { rejectMalformedUrl } from './malformed-url.server';
import { originCheck } from './origin-check.server';
import { requestId, requestLogger, staticAssets } from './request-id.server';
import { cspNonce, securityHeaders } from './security-headers.server';

declare module '@remix-run/node' {
  interface AppLoadContext {
    /** The CSP nonce of this request; entry.server passes it to React so inline scripts may run. */
    cspNonce: string;
  }
}

export interface CreateAppOptions {
  /** Handles everything the middleware lets through: the Remix handler, or a trivial one in tests. */
  handler: RequestHandler;
  /** Served before the Origin check: the Vite dev middleware or express.static for build/client. */
  assets?: RequestHandler[];
  publicUrl: string;
  formMaxBytes: number;
  uploadMaxBytes: number;
  /**
   * The agent API (/api/v1): mounted before the body limits and Remix, since the proxy streams bodies itself.
   * Its `fastProxy`, when present, answers /api/v1/proxy/* ahead of all Express middleware (the hot path).
   */
  api?: RequestHandler & { fastProxy?: FastProxy };
  /** Bull Board, mounted at /admin/queues after the Origin check (it authenticates platform admins itself). */
  adminQueues?: RequestHandler;
  /** True under `npm run dev`: relaxes the CSP just enough for Vite's HMR. */
  dev?: boolean;
  /** Throws when the app cannot serve (the database is unreachable). Defaults to a `SELECT 1`. */
  checkHealth?: () => Promise<void>;
  logger?: Logger;
}

async function selectOne(): Promise<void> {
  const { prisma } = await import('~/db.server');
  await prisma.$queryRaw`SELECT 1`;
}

/** The 4xx status an Express-style error carries (`status` or `statusCode`), or null. */
function clientErrorStatus(error: unknown): number | null {
  if (!error || typeof error !== 'object') return null;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && value >= 400 && value < 500 ? value : null;
}

export function createApp(options: CreateAppOptions): express.Express {
  const logger = options.logger ?? baseLogger;
  const checkHealth = options.checkHealth ?? selectOne;
  const app = express();
  app.disable('x-powered-by');
  if (options.api?.fastProxy) mountFastPath(app, options.api.fastProxy, logger);

  // Keep everything before bodyLimit synchronous: it must see the body's first chunk arrive.
  app.use(requestId());
  app.use(requestLogger(logger));
  app.use(rejectMalformedUrl());
  if (options.api) app.use('/api/v1', options.api);
  app.use(bodyLimit({ formMaxBytes: options.formMaxBytes, uploadMaxBytes: options.uploadMaxBytes }));
  app.use(discardUnreadBody());
  app.use(cspNonce());
  app.use(securityHeaders({ dev: options.dev ?? false, publicUrl: options.publicUrl }));

  app.get('/healthz', async (_req, res) => {
    try {
      await checkHealth();
      res.set('Cache-Control', 'no-store').json({ ok: true });
    } catch (error) {
      logger.error({ err: error }, 'health check failed');
      res.status(503).set('Cache-Control', 'no-store').json({ ok: false, error: 'database unreachable' });
    }
  });

  for (const assets of options.assets ?? []) app.use(staticAssets(assets));
  app.use(originCheck({ publicUrl: options.publicUrl }));
  if (options.adminQueues) app.use('/admin/queues', options.adminQueues);
  app.all('*', options.handler);

  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    // Express and its middleware mark errors the client caused (a parameter that does not decode, a body
    // parser's complaint) with a 4xx status: those are answered as such, never as our failure.
    const status = clientErrorStatus(error);
    if (status) {
      logger.warn({ err: error, requestId: req.id }, 'request refused');
      sendHttpError(req, res, status, 'Request refused', 'Latchkey could not read this request. Check the address or form and try again.');
      return;
    }
    logger.error({ err: error, requestId: req.id }, 'unhandled request error');
    sendHttpError(req, res, 500, 'Something went wrong', `Latchkey could not finish this request (id ${String(req.id)}).`);
  };
  app.use(onError);
  return app;
}
