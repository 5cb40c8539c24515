// Answers 400 to a URL no route can read (a broken %-escape, a control character in the path, a NUL anywhere, a Host that is no host) before Express or Remix try to.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendHttpError } from './error-page.server';

/** C0 controls and DEL: no page of ours has them in its path. */
const PATH_CONTROL = /[\u0000-\u001f\u007f]/;

/** Why Latchkey cannot read this URL, or null when it can. */
export function malformedUrlReason(url: string): string | null {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  let decodedPath: string;
  try {
    // What Express does to route parameters and Remix to the path it matches: a URIError there would be a 500.
    decodedPath = decodeURIComponent(path);
  } catch {
    return 'The address has a broken %-escape (such as %ZZ or a cut-off character), so Latchkey cannot read it. Check the link and try again.';
  }
  if (PATH_CONTROL.test(decodedPath)) return 'The address contains a control character, which no Latchkey page has. Check the link and try again.';
  if (queryAt !== -1) {
    // PostgreSQL cannot store or compare U+0000 in text; URLSearchParams decodes the rest leniently, as browsers do.
    for (const [key, value] of new URLSearchParams(url.slice(queryAt + 1))) {
      if (key.includes('\u0000') || value.includes('\u0000')) {
        return 'The address contains a NUL character (%00), which Latchkey does not accept. Check the link and try again.';
      }
    }
  }
  return null;
}

/** The Remix adapter builds the request URL from Host; a Host that makes no URL would throw there. */
function malformedHostReason(host: string | undefined): string | null {
  if (host === undefined) return null;
  try {
    new URL(`http://${host}/`);
    return null;
  } catch {
    return 'The request’s Host header is not a valid host name, so Latchkey cannot tell which address was opened.';
  }
}

export function rejectMalformedUrl(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const reason = malformedUrlReason(req.originalUrl) ?? malformedHostReason(req.headers.host);
    if (!reason) return next();
    req.resume();
    sendHttpError(req, res, 400, 'This address is not valid', reason);
  };
}
