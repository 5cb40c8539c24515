// Security headers for every response: a strict Content-Security-Policy with a per-request script nonce, and friends.
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/** Puts a fresh nonce in res.locals.cspNonce; Remix's inline scripts carry it (see app/http/nonce.tsx). */
export function cspNonce(): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.locals.cspNonce = crypto.randomBytes(16).toString('base64');
    next();
  };
}

export interface SecurityHeaderOptions {
  /** Vite dev server: its HMR client and React refresh preamble need inline scripts and a websocket. */
  dev: boolean;
  publicUrl: string;
}

export function securityHeaders({ dev, publicUrl }: SecurityHeaderOptions): RequestHandler {
  const https = publicUrl.startsWith('https:');
  const nonceSource = (_req: IncomingMessage, res: ServerResponse) =>
    `'nonce-${(res as unknown as Response).locals.cspNonce as string}'`;
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        // A nonce makes browsers ignore 'unsafe-inline', so dev (which needs inline scripts) gets no nonce.
        'script-src': dev ? ["'self'", "'unsafe-inline'"] : ["'self'", nonceSource],
        // Radix positions popovers with style attributes and sonner injects a <style>; styles cannot run code.
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        'connect-src': dev ? ["'self'", 'ws:', 'wss:'] : ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'frame-ancestors': ["'none'"],
        // form-action is left out on purpose: Chrome applies it to the redirect after a POST, which would
        // block "Connect" forms that redirect to an OAuth provider's authorization page.
        ...(https ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    xContentTypeOptions: true,
    xFrameOptions: { action: 'deny' },
  });
}
