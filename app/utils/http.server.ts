// Uniform HTTP error responses thrown from loaders and actions, and the one way an action reads its form.

/**
 * The one "not found" answer: an unknown organization, another organization's
 * organization and a missing page must be indistinguishable.
 */
export function notFound(): Response {
  return new Response('Not Found', { status: 404, statusText: 'Not Found' });
}

export function forbidden(message = 'You do not have permission to do that.'): Response {
  return new Response(message, { status: 403, statusText: 'Forbidden' });
}

export function badRequest(message = 'Bad request'): Response {
  return new Response(message, { status: 400, statusText: 'Bad Request' });
}

/** What an error page says when a route knows better than "Request failed": a title, a sentence, and where to go instead. */
export interface ExplainedError {
  title: string;
  description: string;
  action?: { href: string; label: string };
}

/** A thrown 4xx the error page renders with its own title, sentence and link (see app/components/error-page.tsx). */
export function explainedError(status: number, explained: ExplainedError): Response {
  return Response.json(explained, { status, headers: { 'Cache-Control': 'no-store' } });
}

/** The client's IP as supplied by the express server's load context (never from request headers). */
export function clientIp(context: unknown): string | null {
  if (context && typeof context === 'object' && 'clientIp' in context) {
    const ip = (context as { clientIp?: unknown }).clientIp;
    if (typeof ip === 'string' && ip.length > 0) return ip;
  }
  return null;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 405: 'Method Not Allowed', 415: 'Unsupported Media Type' };

/** A refused form: the error boundary shows `message` (plain text) to the person. */
function formRefused(status: 400 | 405 | 415, message: string, headers: Record<string, string> = {}): Response {
  return new Response(message, {
    status,
    statusText: STATUS_TEXT[status],
    headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers },
  });
}

/** What every HTML form (and Remix's <Form>, fetchers and single-fetch actions) sends. */
const FORM_MEDIA_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data']);
const SEND_AS = 'Latchkey’s forms are sent as application/x-www-form-urlencoded or multipart/form-data';

function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Refuses, before any byte of the body is read, what cannot be a form submission: a method other than
 * POST (405; Remix hands PUT, PATCH, DELETE and OPTIONS to actions too) and a body that is not a form
 * (415: JSON, text/plain or no Content-Type at all). Throws a Response the error boundary shows.
 */
export function assertFormRequest(request: Request): void {
  if (request.method !== 'POST') {
    throw formRefused(405, `This address takes forms sent with POST, not ${request.method}.`, { Allow: 'GET, HEAD, POST' });
  }
  const mediaType = mediaTypeOf(request.headers.get('content-type'));
  if (!mediaType) throw formRefused(415, `The form was sent without a Content-Type. ${SEND_AS}.`);
  if (!FORM_MEDIA_TYPES.has(mediaType)) {
    // Only a well-formed media type is echoed back: the header is the client's text.
    const named = /^[a-z0-9!#$&^_.+-]{1,60}\/[a-z0-9!#$&^_.+-]{1,60}$/.test(mediaType) ? mediaType : 'this content type';
    throw formRefused(415, `${SEND_AS}, not ${named}.`);
  }
}

const COULD_NOT_READ = 'The form could not be read, so nothing was saved. Reload the page and try again.';

/** A `%` not followed by two hex digits, which no browser sends. */
const BROKEN_ESCAPE = /%(?![0-9a-f]{2})/i;

/** URLSearchParams reads broken escapes and invalid UTF-8 leniently (as literal text or U+FFFD); a form must not. */
function parseUrlEncoded(body: string): URLSearchParams | null {
  if (BROKEN_ESCAPE.test(body)) return null;
  for (const pair of body.split('&')) {
    for (const part of pair.split('=')) {
      try {
        decodeURIComponent(part.replace(/\+/g, ' '));
      } catch {
        return null;
      }
    }
  }
  return new URLSearchParams(body);
}

/** PostgreSQL cannot store U+0000 in text, and no form field a person fills in contains one. */
const NUL = '\u0000';

/** A field name safe to repeat in a message (our own forms only use these). */
function fieldLabel(name: string): string {
  return /^[\w.[\]-]{1,60}$/.test(name) ? `“${name}”` : 'A field';
}

/**
 * Reads an action's form: the one way every action gets its body. Wrong method → 405, no or a wrong
 * Content-Type (JSON to a form route) → 415, a body that does not parse (broken multipart, bad
 * %-escapes, invalid UTF-8) or a field holding a NUL character → 400, each thrown as a Response
 * with a sentence the error boundary shows; nothing has been saved then. Bodies over FORM_MAX_BYTES
 * never get here: the Express layer answers 413 first (app/http/body-limit.server.ts).
 */
export async function readFormData(request: Request): Promise<FormData> {
  assertFormRequest(request);
  let form: FormData;
  if (mediaTypeOf(request.headers.get('content-type')) === 'multipart/form-data') {
    if (!/;\s*boundary=/i.test(request.headers.get('content-type') ?? '')) {
      throw formRefused(400, `${COULD_NOT_READ} (The multipart/form-data body has no boundary.)`);
    }
    try {
      form = await request.formData();
    } catch {
      throw formRefused(400, COULD_NOT_READ);
    }
  } else {
    const params = parseUrlEncoded(await request.text().catch(() => '%'));
    if (!params) throw formRefused(400, COULD_NOT_READ);
    form = new FormData();
    for (const [name, value] of params) form.append(name, value);
  }
  assertStorableFields(form);
  return form;
}

/** Refuses (400) a form whose field names or text values hold a NUL character; file contents may hold anything. */
export function assertStorableFields(form: FormData): void {
  for (const [name, value] of form.entries()) {
    if (name.includes(NUL) || (typeof value === 'string' && value.includes(NUL))) {
      throw formRefused(400, `${fieldLabel(name.replaceAll(NUL, ''))} contains a NUL character (U+0000), which cannot be saved. Nothing was saved.`);
    }
  }
}
