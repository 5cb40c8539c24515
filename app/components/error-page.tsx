// Friendly 404 / 403 / 500 pages for error boundaries; never shows stack traces in production.
import { isRouteErrorResponse, Link, useRouteError } from '@remix-run/react';
import { Logo } from './logo';

const COPY: Record<number, { title: string; description: string }> = {
  403: { title: 'You don’t have access', description: 'Your role in this organization does not allow this. Ask an owner or admin.' },
  404: { title: 'Page not found', description: 'The page you are looking for does not exist or you do not have access to it.' },
};

function asExplained(value: unknown): { title: string; description: string; action?: { href: string; label: string } } | null {
  if (!value || typeof value !== 'object') return null;
  const { title, description, action } = value as Record<string, unknown>;
  if (typeof title !== 'string' || typeof description !== 'string') return null;
  const link = action && typeof action === 'object' ? (action as Record<string, unknown>) : null;
  // Only links inside the app: the page never sends a person elsewhere on a route's say-so.
  const href = typeof link?.href === 'string' && link.href.startsWith('/') && !link.href.startsWith('//') ? link.href : null;
  return { title, description, ...(href && typeof link?.label === 'string' ? { action: { href, label: link.label } } : {}) };
}

export function ErrorPage() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const fallback = COPY[status] ?? {
    title: status >= 500 ? 'Something went wrong' : 'Request failed',
    description:
      status >= 500 ? 'An unexpected error occurred on our side. Try again in a moment.' : 'The request could not be completed.',
  };
  // A 4xx thrown with a sentence (a refused form, a wrong method) says what was wrong; 404 stays uniform.
  const said = isRouteErrorResponse(error) && status >= 400 && status < 500 && status !== 404 && typeof error.data === 'string' ? error.data.trim() : '';
  // A route that explained itself (explainedError in app/utils/http.server.ts): its title, sentence and way out.
  const explained = isRouteErrorResponse(error) && status < 500 ? asExplained(error.data) : null;
  const copy = explained ?? { ...fallback, description: said || fallback.description };
  const action = explained?.action ?? { href: '/', label: 'Go to the dashboard' };
  const showDetails = import.meta.env.DEV && error instanceof Error;
  return (
    <div className="flex min-h-full flex-col items-center justify-center px-4 py-16 text-center">
      <Logo className="mb-10" />
      <p className="text-sm font-semibold text-indigo-600">{status}</p>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight text-slate-900">{copy.title}</h1>
      <p className="mt-2 max-w-md text-sm text-slate-500">{copy.description}</p>
      {showDetails ? (
        <pre className="mt-6 max-w-2xl overflow-auto rounded-lg bg-slate-900 p-4 text-left text-xs text-slate-100">{error.stack}</pre>
      ) : null}
      <Link
        to={action.href}
        className="mt-8 inline-flex h-9 items-center rounded-lg bg-indigo-600 px-3.5 text-sm font-medium text-white shadow-sm hover:bg-indigo-500"
      >
        {action.label}
      </Link>
    </div>
  );
}
