// The document: stylesheet, flash toasts, sliding session renewal and the last-resort error page.
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data } from '@remix-run/node';
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteLoaderData } from '@remix-run/react';
import { renewSessionIfDue } from '~/auth/session.server';
import { ErrorPage } from '~/components/error-page';
import { FlashToaster } from '~/components/toaster';
import { useNonce } from '~/http/nonce';
import stylesheet from '~/tailwind.css?url';
import { getToast } from '~/utils/toast.server';

// The key mark as an inline favicon, so no static file is needed.
const FAVICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#4f46e5"/><circle cx="12" cy="16" r="5" fill="none" stroke="#fff" stroke-width="3"/><path d="M17 16h9m-3 0v4" stroke="#fff" stroke-width="3" stroke-linecap="round"/></svg>',
)}`;

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: stylesheet },
  { rel: 'icon', href: FAVICON, type: 'image/svg+xml' },
];

export const meta: MetaFunction = () => [
  { title: 'Latchkey' },
  { name: 'description', content: 'The credential vault for your AI agents.' },
];

export async function loader({ request }: LoaderFunctionArgs) {
  const { toast, headers: toastHeaders } = await getToast(request);
  const headers = new Headers(toastHeaders ?? undefined);
  const renewed = await renewSessionIfDue(request);
  if (renewed) headers.append('Set-Cookie', renewed);
  return data({ toast }, { headers });
}

export function Layout({ children }: { children: React.ReactNode }) {
  const rootData = useRouteLoaderData<typeof loader>('root');
  const nonce = useNonce();
  return (
    <html lang="en" className="h-full">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body className="h-full bg-slate-50 text-slate-900 antialiased">
        {children}
        <FlashToaster toast={rootData?.toast ?? null} />
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
