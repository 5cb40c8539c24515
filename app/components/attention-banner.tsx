// Banner on the credentials page: credentials that newly need attention, with a link each and a dismiss button.
import { Form, Link } from '@remix-run/react';
import { AlertTriangle, X } from 'lucide-react';
import type { AttentionBanner as AttentionBannerData } from '~/notifications/attention.server';

export function AttentionBanner({ banner, orgSlug }: { banner: AttentionBannerData | null; orgSlug: string }) {
  if (!banner) return null;
  const more = banner.count - banner.items.length;
  return (
    <section
      aria-labelledby="attention-banner-title"
      className="flex items-start gap-3 rounded-lg border border-amber-200 bg-amber-50 p-4 shadow-sm"
    >
      <AlertTriangle className="mt-0.5 size-5 shrink-0 text-amber-600" aria-hidden="true" />
      <div className="min-w-0 flex-1">
        <h2 id="attention-banner-title" className="text-sm font-semibold text-amber-900">
          {banner.count === 1 ? '1 credential needs attention' : `${banner.count} credentials need attention`}
        </h2>
        <ul className="mt-1.5 space-y-1 text-sm text-amber-900">
          {banner.items.map((item) => (
            <li key={item.id} className="min-w-0 break-words sm:truncate">
              <Link
                to={`/orgs/${orgSlug}/credentials/${item.id}`}
                className="font-medium underline decoration-amber-400 underline-offset-2 hover:decoration-amber-700"
              >
                {item.name}
              </Link>
              {item.reason ? <span className="text-amber-800">: {item.reason}</span> : null}
            </li>
          ))}
          {more > 0 ? <li className="text-amber-800">and {more} more</li> : null}
        </ul>
      </div>
      <Form method="post" action={`/orgs/${orgSlug}/attention`} className="shrink-0">
        <button
          type="submit"
          className="inline-flex size-8 items-center justify-center rounded-lg text-amber-700 hover:bg-amber-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-amber-600"
          aria-label="Dismiss until something else needs attention"
        >
          <X className="size-4" aria-hidden="true" />
        </button>
      </Form>
    </section>
  );
}
