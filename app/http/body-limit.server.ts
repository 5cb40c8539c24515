// Refuses request bodies over the route's limit with 413 before any route code sees them, and discards what a route leaves unread.
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendHttpError } from './error-page.server';

export interface BodyLimits {
  formMaxBytes: number;
  uploadMaxBytes: number;
}

export interface BodyLimit {
  maxBytes: number;
  /** What the person sees when the body is over the limit. */
  message: string;
}

/** Room for the multipart framing and the other form fields that travel with an uploaded file. */
export const UPLOAD_FORM_OVERHEAD_BYTES = 64 * 1024;

/** "256 KiB", "1 MiB", "1.5 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

function isUploadPath(path: string): boolean {
  return path.endsWith('/upload') || path.includes('/credentials/new') || /\/credentials\/[^/]+\/replace/.test(path);
}

/** The body limit for a request path: uploads get the file limit plus form overhead, everything else the form limit. */
export function bodyLimitFor(path: string, limits: BodyLimits): BodyLimit {
  if (isUploadPath(path)) {
    return {
      maxBytes: limits.uploadMaxBytes + UPLOAD_FORM_OVERHEAD_BYTES,
      message: `The upload is too large (max ${formatBytes(limits.uploadMaxBytes)})`,
    };
  }
  return { maxBytes: limits.formMaxBytes, message: `The form is too large (max ${formatBytes(limits.formMaxBytes)})` };
}

/** How long we keep reading (and discarding) a refused body so the client can read our answer. */
const DRAIN_TIMEOUT_MS = 5_000;

function refuse(req: Request, res: Response, limit: BodyLimit): void {
  // Closing the connection afterwards stops a keep-alive client from reusing a socket with body bytes still in flight.
  res.setHeader('Connection', 'close');
  sendHttpError(
    req,
    res,
    413,
    limit.message,
    `${limit.message}. Nothing was saved; please make it smaller and try again.`,
  );
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_TIMEOUT_MS);
  timer.unref();
  req.on('end', () => clearTimeout(timer));
  req.on('error', () => clearTimeout(timer));
  req.resume();
}

type Push = IncomingMessage['push'];

/**
 * Express middleware enforcing bodyLimitFor(). A declared Content-Length over the limit is refused at once.
 * A chunked body is held back as it arrives (counting bytes) and only released to the route once complete,
 * so an oversized one is refused before any route code runs.
 */
export function bodyLimit(limits: BodyLimits): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const limit = bodyLimitFor(req.path, limits);
    const declared = req.headers['content-length'];
    if (declared !== undefined) {
      if (Number(declared) > limit.maxBytes) return refuse(req, res, limit);
      return next();
    }
    if (!/\bchunked\b/i.test(req.headers['transfer-encoding'] ?? '') || req.readableEnded) return next();

    // The HTTP parser hands each body chunk to req.push(); intercept it until the body is complete.
    let total = req.readableLength;
    if (total > limit.maxBytes) return refuse(req, res, limit);
    const originalPush: Push = req.push;
    const held: Buffer[] = [];
    const restore = () => {
      req.push = originalPush;
    };
    req.push = function holdChunk(chunk: unknown, encoding?: BufferEncoding) {
      if (chunk === null) {
        restore();
        for (const piece of held) originalPush.call(req, piece);
        originalPush.call(req, null);
        next();
        return false;
      }
      const piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, encoding);
      total += piece.length;
      if (total > limit.maxBytes) {
        restore();
        held.length = 0;
        refuse(req, res, limit);
        return true;
      }
      held.push(piece);
      return true;
    } as Push;
  };
}

/**
 * Discards whatever of a request body the route left unread once the response is sent (a route with no
 * action answering 405, a redirect to /login before the form is read). Remix reads the body through a web
 * stream that pauses the request, so Node cannot dump the rest itself: the bytes would stay on a keep-alive
 * connection and the client's next request on it would be reset.
 */
export function discardUnreadBody(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    res.once('finish', () => {
      if (req.readableEnded || req.destroyed) return;
      req.removeAllListeners('data');
      req.resume();
    });
    next();
  };
}
