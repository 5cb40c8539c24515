// Answers a request the middleware refuses: a small readable HTML page for browsers, JSON for API clients.
import type { Request, Response } from 'express';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Sends `status` with a title and a sentence a person can act on; never includes request data. */
export function sendHttpError(req: Request, res: Response, status: number, title: string, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(status);
  if (req.accepts(['html', 'json']) === 'json') {
    res.json({ error: { status, title, message } });
    return;
  }
  res.type('html').send(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Latchkey</title>
<style>
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #f8fafc; color: #0f172a;
         font: 15px/1.5 ui-sans-serif, system-ui, -apple-system, "Segoe UI", sans-serif; }
  main { max-width: 28rem; margin: 1.5rem; padding: 2rem; background: #fff; border: 1px solid #e2e8f0;
         border-radius: 0.5rem; box-shadow: 0 1px 2px rgb(15 23 42 / 0.05); }
  p.code { margin: 0; color: #4f46e5; font-weight: 600; font-size: 0.8rem; letter-spacing: 0.05em; }
  h1 { margin: 0.25rem 0 0.5rem; font-size: 1.25rem; }
  p { margin: 0 0 1rem; color: #475569; }
  a { color: #4f46e5; font-weight: 500; text-decoration: none; }
</style>
</head>
<body>
<main>
  <p class="code">Error ${status}</p>
  <h1>${escapeHtml(title)}</h1>
  <p>${escapeHtml(message)}</p>
  <a href="/">Back to Latchkey</a>
</main>
</body>
</html>
`);
}
