// Uniform HTTP error responses thrown from loaders and actions.

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

/** The client's IP as supplied by the express server's load context (never from request headers). */
export function clientIp(context: unknown): string | null {
  if (context && typeof context === 'object' && 'clientIp' in context) {
    const ip = (context as { clientIp?: unknown }).clientIp;
    if (typeof ip === 'string' && ip.length > 0) return ip;
  }
  return null;
}
