// The agent proxy's hot path: /api/v1/proxy/* answered ahead of Express's router and middleware, with the same request id and log line.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { FastProxy } from '~/api/proxy.server';
import { requestId } from './request-id.server';

const noop = () => undefined;

/**
 * Requests the fast proxy matches skip Express entirely (its router, query parser and per-request prototype
 * swaps, and pino-http's per-request child logger): they get an X-Request-Id exactly as requestId() gives it,
 * Cache-Control: no-store, and one compact log line when done (id, method, path without query, status,
 * duration; never headers or bodies). Everything else goes to Express unchanged.
 */
export function mountFastPath(app: Express, fast: FastProxy, logger: Logger): void {
  const assignId = requestId();
  const app_ = app as Express & { handle(req: IncomingMessage, res: ServerResponse, callback?: unknown): void };
  const handle = app_.handle.bind(app);
  app_.handle = (req, res, callback) => {
    const route = req.url ? fast.match(req.url) : null;
    if (!route) return handle(req, res, callback);
    assignId(req as Request, res as Response, noop);
    route.requestId = String(req.id);
    const started = performance.now();
    res.once('close', () => {
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const path = route.originalUrl.split('?')[0] ?? '';
      logger[level](
        { req: { id: route.requestId, method: req.method, path }, res: { statusCode: status }, responseTime: Math.round(performance.now() - started) },
        `${req.method} ${path} ${status}${res.writableFinished ? '' : ' (aborted)'}`,
      );
    });
    fast.handle(req, res, route);
  };
}
