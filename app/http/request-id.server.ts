// Gives every request an id (X-Request-Id, accepted from a proxy or generated) and logs one line per request (static files at debug).
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { pinoHttp } from 'pino-http';
import { logger as baseLogger } from '~/logger.server';

/** An id from upstream is kept only if it is short and plain, so it cannot inject into logs or headers. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestId(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : crypto.randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}

const STATIC_ASSET = Symbol('latchkey.staticAsset');

type MaybeStatic = IncomingMessage & { [STATIC_ASSET]?: boolean };

/**
 * Wraps a static-file handler (express.static, Vite's dev middleware) so the request logger knows which
 * requests it answered: a page load fetches dozens of scripts, styles and logos, and at info they would
 * bury the lines that matter. The mark is cleared when the handler passes the request on.
 */
export function staticAssets(handler: RequestHandler): RequestHandler {
  return (req, res, next) => {
    (req as MaybeStatic)[STATIC_ASSET] = true;
    handler(req, res, (error?: unknown) => {
      (req as MaybeStatic)[STATIC_ASSET] = false;
      next(error);
    });
  };
}

/** Info for what a person or agent asked for, warn for 4xx, error for 5xx; debug for static files that were served. */
export function requestLogLevel(req: IncomingMessage, res: ServerResponse, err?: Error): 'debug' | 'info' | 'warn' | 'error' {
  if (err || res.statusCode >= 500) return 'error';
  if ((req as MaybeStatic)[STATIC_ASSET]) return 'debug';
  return res.statusCode >= 400 ? 'warn' : 'info';
}

/** The path only: query strings can carry OAuth codes, states and tokens, so they are never logged. */
function pathOf(req: IncomingMessage): string {
  const url = (req as Request).originalUrl ?? req.url ?? '';
  return url.split('?')[0] ?? '';
}

/** One log line per finished request: id, method, path, status, duration. No headers, no query, no body. */
export function requestLogger(logger = baseLogger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage) => req.id ?? crypto.randomUUID(),
    wrapSerializers: false,
    quietReqLogger: true,
    serializers: {
      req: (req: IncomingMessage) => ({ id: req.id, method: req.method, path: pathOf(req) }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      err: (err: Error) => ({ type: err.name, message: err.message }),
    },
    customLogLevel: requestLogLevel,
    customSuccessMessage: (req, res) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
  }) as unknown as RequestHandler;
}
