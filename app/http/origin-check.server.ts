// Blocks cross-site form posts: every state-changing browser request must come from our own origin.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendHttpError } from './error-page.server';

const SAFE_METHODS = new Set(['GET', 'HEAD']);

function parseUrl(value: string | undefined): URL | undefined {
  if (!value || value === 'null') return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** True when `source` (an Origin or Referer) is PUBLIC_URL's origin or the host this request was sent to. */
export function isSameOrigin(source: string | undefined, requestHost: string | undefined, publicUrl: string): boolean {
  const url = parseUrl(source);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return false;
  if (url.origin === new URL(publicUrl).origin) return true;
  // The scheme is not compared: a TLS-terminating proxy makes the request look like plain http to us.
  return requestHost !== undefined && url.host.toLowerCase() === requestHost.toLowerCase();
}

/** Agents call /api/* with a bearer token and no cookies; a cross-site page cannot forge that header. */
function isAgentApiCall(req: Request): boolean {
  return req.path.startsWith('/api/') && /^Bearer\s+\S/i.test(req.headers.authorization ?? '');
}

export function originCheck({ publicUrl }: { publicUrl: string }): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method) || isAgentApiCall(req)) return next();
    const source = req.headers.origin ?? req.headers.referer;
    if (isSameOrigin(source, req.headers.host, publicUrl)) return next();
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
