// Blocks cross-site form posts: every state-changing browser request must come from PUBLIC_URL's origin.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendHttpError } from './error-page.server';

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const LOOPBACK_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];

function parseUrl(value: string | undefined): URL | undefined {
  if (!value || value === 'null') return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * The origins a form may come from: PUBLIC_URL's, and when PUBLIC_URL is a loopback address (the default,
 * http://localhost:$PORT) the same port under the other loopback names, since 127.0.0.1 and localhost are
 * one machine to the person who opens either. The Host header is never consulted: it is whatever name the
 * request was sent to, which a DNS-rebinding page or a proxy chooses, not where our pages live.
 */
export function allowedOrigins(publicUrl: string): Set<string> {
  const base = new URL(publicUrl);
  const origins = new Set([base.origin]);
  if (LOOPBACK_HOSTNAMES.includes(base.hostname)) {
    for (const hostname of LOOPBACK_HOSTNAMES) {
      const alias = new URL(base.origin);
      alias.hostname = hostname;
      origins.add(alias.origin);
    }
  }
  return origins;
}

/** True when `source` (an Origin or Referer header) is PUBLIC_URL's origin (or a loopback alias of a loopback PUBLIC_URL). */
export function isSameOrigin(source: string | undefined, publicUrl: string): boolean {
  const url = parseUrl(source);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return false;
  return allowedOrigins(publicUrl).has(url.origin);
}

/** Agents call /api/* with a bearer token and no cookies; a cross-site page cannot forge that header. */
function isAgentApiCall(req: Request): boolean {
  return req.path.startsWith('/api/') && /^Bearer\s+\S/i.test(req.headers.authorization ?? '');
}

export function originCheck({ publicUrl }: { publicUrl: string }): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method) || isAgentApiCall(req)) return next();
    const source = req.headers.origin ?? req.headers.referer;
    if (isSameOrigin(source, publicUrl)) {
      // Remix 2 repeats a CSRF check of its own that compares Origin with Host (or X-Forwarded-Host) and
      // answers 500 when they differ, e.g. behind a proxy that rewrites Host. The Origin was just checked
      // against PUBLIC_URL, which is the check that counts, so Remix does not see it.
      delete req.headers.origin;
      return next();
    }
    // Drain the body we will not use so the client can read the answer.
    req.resume();
    sendHttpError(
      req,
      res,
      403,
      'Request blocked',
      source
        ? 'This form was sent from another site, so Latchkey refused it. Open Latchkey directly and try again.'
        : 'This request did not say which site it came from (no Origin or Referer header), so Latchkey refused it.',
    );
  };
}
